#pragma once
// The DATA phase (RFC 5321 4.1.1.4, 4.5.2): bytes from the client in, the
// message out, with dot-stuffing undone, ending exactly at <CRLF>.<CRLF>.
//
// SMTP smuggling defence: only CR LF "." CR LF ends the message, where the
// first CR LF may be the one that ended the DATA command (so ".\r\n" right
// after the 354 is an empty message). A bare LF or a bare CR is never a line
// end for that purpose; inside the message every bare LF and every bare CR is
// normalised to CRLF (so "\n.\n", "\r.\r", "\r\n.\n" or "\n.\r\n" end nothing
// and cannot be re-interpreted by a later hop).
//
// Dot-stuffing: a "." is removed only when it is the first byte of a line
// that follows a real CR LF (or the start of DATA) and the line is not the
// end marker. A "." after a normalised bare CR or LF is kept.
//
// NUL bytes are replaced by a space (0x20), so Maildir files stay text and
// line lengths do not change; nul_bytes() counts them for the log.
//
// Lines longer than the limit and messages larger than the limit are flagged,
// while the decoder keeps consuming until the end marker, so the session
// stays in sync and can reply. Line length counts the line's octets plus 2
// for the CRLF (RFC 5321 4.5.3.1.6: 1000 octets with CRLF), without a
// stuffing dot, which the same section excludes. The SMTP session passes no
// line limit (0): long lines in message content are common and are
// delivered intact, as Postfix does; the flag is for callers that want one.
// Size counts the decoded message bytes. Once over the size limit nothing
// more is stored.
//
// Input may be split at any byte boundary: feeding "a" then "b" is the same
// as feeding "ab". Not thread-safe; one decoder per transaction.

#include <cstddef>
#include <string>
#include <string_view>

namespace hm::smtp::proto {

class DataDecoder {
 public:
  // A limit of 0 means "no limit".
  DataDecoder(size_t max_message_size, size_t max_line_length);

  // Feeds bytes. Returns how many bytes of `input` were consumed: all of them
  // unless the end of data was reached, in which case the bytes after the
  // final ".\r\n" are left to the caller (pipelined commands). After done(),
  // returns 0.
  size_t feed(std::string_view input);

  bool done() const { return state_ == State::kDone; }
  bool too_big() const { return too_big_; }
  bool line_too_long() const { return line_too_long_; }
  // The message (CRLF line ends), valid once done(); empty if too_big().
  std::string& message() { return message_; }
  size_t size() const { return size_; }  // bytes of message seen, even past the limit
  // Bare CR or bare LF bytes that were normalised to CRLF (for the log).
  size_t bare_line_ends() const { return bare_line_ends_; }
  size_t nul_bytes() const { return nul_bytes_; }

  // Starts over for the next message, keeping the limits.
  void reset();

 private:
  enum class State {
    kLineStart,  // after a real CRLF (or at the start): a "." here is special
    kMid,        // inside a line
    kCr,         // a CR seen, not yet known whether bare
    kDot,        // "." at a line start
    kDotCr,      // "." CR at a line start: LF now ends the message
    kDone,
  };

  void emit(std::string_view bytes);
  void emit_line_end();  // CRLF into the message, closes the line
  void count_line(size_t octets);

  size_t max_size_;
  size_t max_line_;
  std::string message_;
  size_t size_ = 0;
  size_t line_len_ = 0;  // wire octets of the current line, without its CRLF
  State state_ = State::kLineStart;
  bool too_big_ = false;
  bool line_too_long_ = false;
  size_t bare_line_ends_ = 0;
  size_t nul_bytes_ = 0;
};

}  // namespace hm::smtp::proto
