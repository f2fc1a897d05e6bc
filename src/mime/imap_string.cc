#include "mime/imap_string.h"

#include <string>

namespace hm::mime {

void append_imap_string(std::string& out, std::string_view s) {
  bool literal = false;
  for (unsigned char c : s) {
    if (c >= 0x80 || c == '\r' || c == '\n' || c == '\0') literal = true;
  }
  if (!literal) {
    out.push_back('"');
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
    return;
  }
  out.push_back('{');
  out += std::to_string(s.size());
  out += "}\r\n";
  for (char c : s) out.push_back(c == '\0' || c == '\r' || c == '\n' ? ' ' : c);
}

void append_imap_nstring(std::string& out, std::string_view s) {
  if (s.empty()) {
    out += "NIL";
  } else {
    append_imap_string(out, s);
  }
}

}  // namespace hm::mime
