#pragma once
// What a remote SMTP server answers, read by the relay's client: replies of
// one or more lines (RFC 5321 4.2.1: "250-first", "250 last"), split off a
// buffer of received bytes as they come. Everything a server sends is
// bounded: a line at most kMaxReplyLine octets, a reply at most
// kMaxReplyLines lines; more, a code that changes between lines, or a line
// that is not "ddd", "ddd text" or "ddd-text" is an error (kInvalid), after
// which the connection is not to be trusted. Pure: fuzzed by
// fuzz/smtp_reply_fuzz.cc.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::relay {

// RFC 5321 4.5.3.1.5 says 512 with the code and CRLF; servers send longer
// EHLO lines and texts, so a generous multiple.
inline constexpr size_t kMaxReplyLine = 4096;
inline constexpr size_t kMaxReplyLines = 200;

struct Reply {
  int code = 0;                    // 200..599
  std::vector<std::string> lines;  // the text of each line, without code and separator

  bool positive() const { return code >= 200 && code < 400; }
  bool temporary() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }
  // "550 5.1.1 no such user" (lines after the first joined with a space),
  // as a DSN's Diagnostic-Code and the queue's last error carry it.
  std::string text() const;
};

// Takes the first whole reply off the front of `buffer` (the bytes read so
// far), removing its lines. std::nullopt: more bytes are needed (and the
// buffer is still within bounds). An error: the server broke the protocol.
std::optional<Result<Reply>> take_reply(std::string& buffer);

// What an EHLO reply offers (RFC 5321 4.1.1.1; the keywords are case-insensitive).
struct Capabilities {
  bool pipelining = false;      // RFC 2920
  bool starttls = false;        // RFC 3207
  bool eight_bit_mime = false;  // RFC 6152
  bool smtputf8 = false;        // RFC 6531
  bool size = false;            // RFC 1870
  uint64_t max_size = 0;        // SIZE's limit; 0: none given
};
Capabilities parse_ehlo(const Reply& reply);

}  // namespace hm::relay
