#include "directory/system_aliases.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/strings.h"
#include "base/unique_fd.h"
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
  // Read as root at start-up: never through a link (the file could sit in a
  // folder the daemon can write, and its warnings quote what they skip), a
  // regular file only (no FIFO to block on), and of a bounded size.
  constexpr off_t kMaxSize = 4 * 1024 * 1024;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return ParsedAliases{};
    return fail(ErrorKind::kPermission,
                "cannot read the aliases file " + path +
                    (errno == ELOOP ? " (a symbolic link; name the file itself)" : ""),
                std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxSize) {
    return fail(ErrorKind::kInvalid,
                "the aliases file " + path + " is not a regular file of at most 4 MiB");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return fail(ErrorKind::kPermission, "cannot read the aliases file " + path,
                  std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return parse_system_aliases(text);
}

}  // namespace hm::directory
