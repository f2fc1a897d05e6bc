#pragma once
// BDAT data (RFC 3030) is taken as it is, without dot-stuffing, but its line
// ends are made CRLF as in DATA: a bare CR and a bare LF each become CRLF, a
// CRLF stays. Streaming, so a message can be normalised chunk by chunk (a CR
// at the end of one chunk and an LF at the start of the next are one CRLF),
// and appended wherever the caller keeps it. Feeding "a" then "b" gives what
// feeding "ab" gives. Not thread-safe; one per message.

#include <cstddef>
#include <string>
#include <string_view>

namespace hm::smtp::proto {

class LineEndNormalizer {
 public:
  // Appends `in`, normalised, to `out`; a trailing CR waits for the next byte.
  void feed(std::string_view in, std::string& out);
  // The end of the message: a CR still waiting becomes CRLF.
  void finish(std::string& out);
  size_t bare_line_ends() const { return bare_; }

 private:
  bool pending_cr_ = false;
  size_t bare_ = 0;
};

}  // namespace hm::smtp::proto
