#pragma once
// Parses one SMTP command line. Byte-in, struct-out: no I/O, no state, so it
// is unit-tested and fuzzed alone.

#include <cstddef>
#include <string_view>
#include <variant>

#include "smtp/proto/command.h"
#include "smtp/proto/reply.h"

namespace hm::smtp::proto {

struct ParseOptions {
  // SMTPUTF8 (RFC 6531) is offered: MAIL accepts the SMTPUTF8 parameter (and
  // then UTF-8 in its reverse-path), EHLO/HELO accept U-labels, and RCPT
  // accepts UTF-8 in its forward-path. The session sets this to false for
  // RCPT when the transaction's MAIL did not carry SMTPUTF8.
  bool smtputf8 = true;
  // Longest command line accepted, in octets WITHOUT the CRLF. 998 = the
  // 1000-octet line limit; well above RFC 5321's 512 so that MAIL with
  // several parameters and UTF-8 paths fits.
  size_t max_line_length = 998;
  // AUTH lines carry an initial response; RFC 4954 4 asks for at least 12288.
  size_t max_auth_line_length = 12288;
};

// `line` is one command line WITHOUT its CRLF. Returns the command, or the
// error reply to send: 500 5.5.2 (empty line, unknown command, line too
// long, NUL or other control bytes), 501 5.5.4 (syntax error in the
// arguments), 501 5.1.7 / 5.1.3 (bad MAIL / RCPT address, path over 256
// octets), 553 5.6.7 (non-ASCII address without SMTPUTF8, RFC 6531 3.5),
// 555 5.5.4 (unknown MAIL/RCPT parameter). Verbs and parameter keywords are
// case-insensitive; arguments may be separated by several spaces and
// trailing spaces are ignored. Never throws, never crashes on any input.
std::variant<Command, Reply> parse_command(std::string_view line, const ParseOptions& options = {});

}  // namespace hm::smtp::proto
