#pragma once
// SMTP replies: code, enhanced status code (RFC 3463/2034) and text lines,
// formatted as RFC 5321 multi-line replies.

#include <string>
#include <string_view>
#include <vector>

namespace hm::smtp::proto {

struct Reply {
  int code = 250;
  std::string enhanced;  // "2.1.0"; empty for replies that carry none (220, 221 greeting, EHLO)
  std::vector<std::string> lines;  // at least one; no CR or LF inside

  bool positive() const { return code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
};

Reply make_reply(int code, std::string_view enhanced, std::string_view text);

// "250-first\r\n250-second\r\n250 2.0.0 last\r\n": every line carries the
// code; the enhanced code goes on every line when ENHANCEDSTATUSCODES is on
// (RFC 2034), which the caller decides by passing `enhanced_codes`.
std::string format(const Reply& reply, bool enhanced_codes = true);

}  // namespace hm::smtp::proto
