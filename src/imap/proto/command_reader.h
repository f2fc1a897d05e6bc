#pragma once
// Frames IMAP commands out of the byte stream: lines and the literals
// (RFC 3501 4.3, LITERAL+ RFC 7888) between them. No I/O: the session hands
// in bytes as they arrive and acts on what comes out. Single-threaded, one
// per connection.
//
// A command is one or more lines; a line ending in "{n}" (synchronizing) or
// "{n+}" (non-synchronizing) announces n octets of literal data that follow
// its CRLF, after which the command continues. For "{n}" the client waits
// for a "+ " continuation before sending the octets: the reader stops with
// kContinuation, and the session sends "+ OK\r\n" (or anything starting
// with "+ ") and goes on feeding; it may read exactly literal_size() octets
// with a counted read and feed them.
//
// Bounded: a line (the text between literals) is at most max_line_length
// octets, a literal at most max_literal_size, a whole command at most
// max_command_size. Over a limit the reader yields kError with the tagged
// response to send (BAD for a line, NO [TOOBIG] for a literal, RFC 7889), and
// skips the rest of that command without keeping it: it counts the bytes of
// an announced non-synchronizing literal away, and a synchronizing one it
// refuses before the client sends it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "imap/proto/response.h"

namespace hm::imap::proto {

struct ReaderLimits {
  size_t max_line_length = 8192;  // octets per line without CRLF (RFC 7162 4: at least 8192)
  uint64_t max_literal_size = 64ull << 20;
  size_t max_command_size = (64ull << 20) + 65536;
};

class CommandReader {
 public:
  enum class Event {
    kNeedMore,      // every byte fed was consumed; feed more
    kCommand,       // command() holds one whole command
    kContinuation,  // send "+ ...\r\n": the client waits for it before the literal
    kError,         // send error(); the command is dropped
  };

  struct Step {
    Event event = Event::kNeedMore;
    size_t consumed = 0;  // bytes of the input taken; feed the rest again
  };

  explicit CommandReader(ReaderLimits limits = {}) : limits_(limits) {}

  // Takes bytes up to and including the end of the next event. Feed what
  // was not consumed again (after acting on the event).
  Step feed(std::string_view bytes);

  // After kCommand: the command exactly as sent up to its final line end,
  // without that CRLF (a bare LF is taken as a line end too). Lines before
  // a literal keep their "{n}\r\n" (line ends normalised to CRLF) followed by
  // the literal's octets, so the parser sees where each literal is. Valid
  // until the next feed().
  std::string_view command() const { return command_; }
  // After kError: the response to send.
  const Response& error() const { return error_; }
  // After kContinuation: the octets the client will send next.
  uint64_t literal_size() const { return literal_remaining_; }

  // The next line is taken as a plain line (no literal is recognised): an
  // AUTHENTICATE response or IDLE's DONE. Reset after that line.
  void expect_plain_line() { plain_line_ = true; }

  // Bytes currently held, for the session's memory accounting.
  size_t buffered() const { return command_.size(); }

 private:
  enum class State { kLine, kLiteral, kDiscardLine, kDiscardLiteral };

  Step end_of_line(size_t consumed);
  Step fail(size_t consumed, Status status, std::string_view code, std::string text,
            bool skip_rest);
  void start_command();
  std::string_view current_line() const;

  ReaderLimits limits_;
  State state_ = State::kLine;
  bool done_ = false;  // the previous event ended a command: clear on next feed
  bool plain_line_ = false;
  std::string command_;
  size_t line_start_ = 0;  // where the current line begins in command_
  uint64_t literal_remaining_ = 0;
  Response error_;
  // While discarding a line: its last few bytes, enough to recognise a
  // literal announcement "{4294967295+}" at its end.
  std::string tail_;
};

// The tag of a command line, as far as it is valid (RFC 3501 "tag":
// ASTRING-CHAR except "+"), else "" (untagged "*" in a response).
std::string_view tag_of(std::string_view line);

}  // namespace hm::imap::proto
