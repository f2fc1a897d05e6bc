#include "mime/transfer.h"

#include "base/base64.h"
#include "base/strings.h"
#include "mime/encoded_words.h"

namespace hm::mime {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string decode_quoted_printable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t line_start = 0;
  while (line_start < in.size()) {
    size_t lf = in.find('\n', line_start);
    const size_t next = lf == std::string_view::npos ? in.size() : lf + 1;
    std::string_view line = in.substr(line_start, next - line_start);
    std::string_view ending;
    if (lf != std::string_view::npos) {
      const size_t cut = line.size() >= 2 && line[line.size() - 2] == '\r' ? 2 : 1;
      ending = line.substr(line.size() - cut);
      line.remove_suffix(cut);
    }
    // Blanks at the end of a line were added in transport (RFC 2045 6.7 (3)).
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    bool soft = false;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] != '=') {
        out.push_back(line[i]);
      } else if (i + 1 == line.size()) {
        soft = true;  // a soft line break joins this line to the next
      } else if (i + 2 < line.size() && hex(line[i + 1]) >= 0 && hex(line[i + 2]) >= 0) {
        out.push_back(static_cast<char>(hex(line[i + 1]) * 16 + hex(line[i + 2])));
        i += 2;
      } else {
        out.push_back('=');
      }
    }
    if (!soft) out.append(ending);
    line_start = next;
  }
  return out;
}

std::optional<std::string> decode_transfer(std::string_view encoding, std::string_view body) {
  const std::string enc = ascii_lower(trim(encoding));
  if (enc.empty() || enc == "7bit" || enc == "8bit" || enc == "binary") return std::string(body);
  if (enc == "base64") return base64_decode_lenient(body);
  if (enc == "quoted-printable") return decode_quoted_printable(body);
  return std::nullopt;
}

}  // namespace hm::mime
