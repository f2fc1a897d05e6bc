#include "mime/imap_string.h"

#include <algorithm>
#include <string>

#include "imap/proto/response.h"

namespace hm::mime {

void append_imap_string(std::string& out, std::string_view s) {
  // Quoting and literals are the IMAP writer's; only the header-text rule is
  // this one's: text that held NUL, CR or LF goes as a literal, with those
  // bytes as spaces (no literal may carry NUL).
  constexpr std::string_view kUnsendable("\0\r\n", 3);
  if (s.find_first_of(kUnsendable) == std::string_view::npos) {
    imap::proto::append_string(out, s);
    return;
  }
  std::string clean(s);
  std::replace_if(
      clean.begin(), clean.end(), [](char c) { return c == '\0' || c == '\r' || c == '\n'; }, ' ');
  imap::proto::append_literal(out, clean);
}

void append_imap_nstring(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += "NIL";
  } else {
    append_imap_string(out, s);
  }
}

}  // namespace hm::mime
