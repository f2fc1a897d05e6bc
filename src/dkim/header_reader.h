#pragma once
// HeaderReader: the header fields of a message in wire form (CRLF), one at a
// time, as DKIM sees them: a field is a line that does not begin with white
// space plus the lines after it that do (RFC 5322 2.2.3), and the header
// ends at the first empty line. It views the message; nothing is copied.
//
// It never fails: a message is whatever it is, and signing must not stop at
// a malformed one. A message without the empty line is all header (its
// body is empty); a line without a colon is a field with no name (nothing
// names it in h=, so it is never signed); continuation lines before the
// first field form such a nameless field too. Bare CR, bare LF and NUL are
// ordinary bytes.
//
// Not thread-safe (a cursor); the message must outlive it.

#include <string_view>

namespace hm::dkim {

struct HeaderField {
  std::string_view name;  // before the colon, without trailing white space; may be empty
  std::string_view text;  // the whole field with its folding, without the final CRLF
};

class HeaderReader {
 public:
  explicit HeaderReader(std::string_view message) : message_(message) {}

  // The next field into `field`; false at the end of the header, when
  // body() is known.
  bool next(HeaderField& field);

  // What follows the empty line (empty when there is none); only after
  // next() has returned false.
  std::string_view body() const { return body_; }

 private:
  std::string_view message_;
  size_t pos_ = 0;
  std::string_view body_;
};

}  // namespace hm::dkim
