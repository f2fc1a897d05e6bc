#include "dkim/header_reader.h"

namespace hm::dkim {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

}  // namespace

bool HeaderReader::next(HeaderField& field) {
  if (pos_ >= message_.size()) return false;  // all header, no empty line: no body
  if (message_.substr(pos_).starts_with("\r\n")) {
    body_ = message_.substr(pos_ + 2);
    pos_ = message_.size();
    return false;
  }
  size_t start = pos_;
  size_t end;  // of the field's last line, before its CRLF
  for (;;) {
    size_t eol = message_.find("\r\n", pos_);
    if (eol == std::string_view::npos) {  // the last line, without its CRLF
      end = message_.size();
      pos_ = message_.size();
      break;
    }
    end = eol;
    pos_ = eol + 2;
    if (pos_ >= message_.size() || !is_wsp(message_[pos_])) break;
  }
  field.text = message_.substr(start, end - start);
  size_t colon = field.text.find(':');
  // The name is on the first line; a colon only on a continuation line does
  // not make one.
  size_t first_eol = field.text.find("\r\n");
  std::string_view name;
  if (colon != std::string_view::npos && colon < first_eol) {
    name = field.text.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  }
  // A first line that begins with white space belongs to no field.
  if (!field.text.empty() && is_wsp(field.text.front())) name = {};
  field.name = name;
  return true;
}

}  // namespace hm::dkim
