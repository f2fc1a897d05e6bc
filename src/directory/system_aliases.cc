#include "directory/system_aliases.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "directory/address.h"

namespace hm::directory {
namespace {

// One logical entry: its text (continuations joined) and its first line.
struct Entry {
  std::string text;
  int line = 0;
};

std::vector<Entry> logical_entries(std::string_view text) {
  std::vector<Entry> entries;
  int number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if ((line.front() == ' ' || line.front() == '\t')) {
      if (!entries.empty()) entries.back().text += " " + std::string(trim(line));
      continue;
    }
    entries.push_back({std::string(line), number});
  }
  return entries;
}

}  // namespace

ParsedAliases parse_system_aliases(std::string_view text) {
  ParsedAliases out;
  for (const Entry& e : logical_entries(text)) {
    auto where = [&] { return "line " + std::to_string(e.line) + ": "; };
    size_t colon = e.text.find(':');
    if (colon == std::string::npos) {
      out.skipped.push_back(where() + "no ':' after the name");
      continue;
    }
    std::string name = ascii_lower(trim(std::string_view(e.text).substr(0, colon)));
    if (!is_local_name(name)) {
      out.skipped.push_back(where() + "'" + name + "' is not a local name");
      continue;
    }
    std::vector<std::string> targets;
    std::string_view rest = std::string_view(e.text).substr(colon + 1);
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view raw = trim(rest.substr(0, comma));
      rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
      if (raw.empty()) continue;
      if (raw.front() == '|' || raw.front() == '/' || raw.front() == '"' ||
          raw.starts_with(":include:")) {
        out.skipped.push_back(where() + name + ": target '" + std::string(raw) +
                              "' (a command, file or include) is not followed by hostmail");
        continue;
      }
      if (raw.front() == '\\') raw.remove_prefix(1);  // "\user": no further aliasing in sendmail
      auto target = normalize_maildrop(ascii_lower(raw));
      if (!target) {
        out.skipped.push_back(where() + name + ": " + target.error().message());
        continue;
      }
      targets.push_back(std::move(*target));
    }
    if (targets.empty()) {
      out.skipped.push_back(where() + name + " has no target hostmail can follow");
      continue;
    }
    auto& slot = out.aliases[name];
    slot.insert(slot.end(), targets.begin(), targets.end());
  }
  return out;
}

Result<ParsedAliases> load_system_aliases(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return ParsedAliases{};
    return fail(ErrorKind::kPermission, "cannot read the aliases file " + path,
                std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_system_aliases(text.str());
}

}  // namespace hm::directory
