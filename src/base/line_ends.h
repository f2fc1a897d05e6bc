#pragma once
// Line ends, converted in one place. Mail travels with CRLF (SMTP, IMAP, the
// queue's copy); a Maildir file and a local mailbox command get Unix line
// ends (LF), as Courier, Dovecot and procmail expect. The store decides when
// a message takes its stored form (store/stored_message.h); these are the
// conversions it and the protocols use.
//
// Thread-safety: the functions are pure; a LineEndNormalizer belongs to one
// message.

#include <cstddef>
#include <string>
#include <string_view>

namespace hm {

// Appends `in` to `out` with every CRLF made LF; a bare CR or LF stays as it
// is. Returns the number of LF appended, that is the number of lines, which
// gives the size with CRLF line ends without a second pass.
size_t append_with_lf(std::string_view in, std::string& out);

// Any line end made CRLF: a bare CR and a bare LF each become CRLF, a CRLF
// stays. Streaming, so a message can be normalised chunk by chunk (a CR at
// the end of one chunk and an LF at the start of the next are one CRLF),
// and appended wherever the caller keeps it: feeding "a" then "b" gives what
// feeding "ab" gives. Used for BDAT data (RFC 3030) and for a message given
// on standard input.
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

// The whole of `in` with CRLF line ends (LineEndNormalizer in one go).
std::string with_crlf(std::string_view in);

}  // namespace hm
