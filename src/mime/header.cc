#include "mime/header.h"

#include <algorithm>

#include "base/line_ends.h"
#include "base/strings.h"

namespace hm::mime {

size_t header_end(std::string_view entity) {
  size_t pos = 0;
  while (pos < entity.size()) {
    size_t lf = entity.find('\n', pos);
    if (lf == std::string_view::npos) return entity.size();
    const size_t len = lf - pos;
    if (len == 0 || (len == 1 && entity[pos] == '\r')) return lf + 1;
    pos = lf + 1;
  }
  return entity.size();
}

Header::Header(std::string_view block, size_t max_bytes, size_t max_fields) {
  if (block.size() > max_bytes) block = block.substr(0, max_bytes);
  size_t pos = 0;
  while (pos < block.size() && fields_.size() < max_fields) {
    // A field runs to the first line end not followed by a blank.
    size_t end = pos;
    while (true) {
      size_t lf = block.find('\n', end);
      if (lf == std::string_view::npos) {
        end = block.size();
        break;
      }
      end = lf + 1;
      if (end >= block.size() || (block[end] != ' ' && block[end] != '\t')) break;
    }
    const std::string_view lines = block.substr(pos, end - pos);
    std::string_view line = lines;
    pos = end;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view name = line.substr(0, colon);
    // obs-fields allow blanks before the colon; a name with inner blanks is
    // not a field at all.
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.empty() || name.find_first_of(" \t") != std::string_view::npos) continue;
    fields_.push_back({name, line.substr(colon + 1), lines});
  }
}

std::optional<std::string_view> Header::raw(std::string_view name) const {
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) return f.raw_value;
  }
  return std::nullopt;
}

std::optional<std::string> Header::value(std::string_view name) const {
  auto r = raw(name);
  if (!r) return std::nullopt;
  return std::string(trim(unfold(*r)));
}

std::string select_fields(std::string_view block, const std::vector<std::string>& names,
                          bool negate) {
  std::string out;
  LineEndNormalizer crlf;
  const Header header(block);
  for (const auto& f : header.fields()) {
    const bool named = std::any_of(names.begin(), names.end(),
                                   [&](const std::string& n) { return iequals(n, f.name); });
    if (named == negate) continue;
    crlf.feed(f.lines, out);
    // The last field of a block without an empty line may lack its line end.
    if (f.lines.empty() || f.lines.back() != '\n') crlf.feed("\n", out);
  }
  crlf.finish(out);
  out += "\r\n";
  return out;
}

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    if (c == '\r' || c == '\n') {
      const bool folded = i + 1 < raw.size() && (raw[i + 1] == ' ' || raw[i + 1] == '\t');
      if (!folded) out.push_back(' ');
      continue;
    }
    out.push_back(c == '\0' ? ' ' : c);
  }
  return out;
}

}  // namespace hm::mime
