#pragma once
// Parses one framed IMAP command (CommandReader::command()) into its tag,
// name and typed arguments. Byte-in, struct-out: no I/O, no state, so it is
// unit-tested and fuzzed alone. Which commands are allowed in which state
// (RFC 3501 3) is the session's business, not the parser's.

#include <string_view>
#include <variant>

#include "imap/proto/command.h"
#include "imap/proto/response.h"

namespace hm::imap::proto {

// The command, or the response to send: BAD with a text naming what was
// wrong (tagged when the tag was readable, else untagged). Command names
// and keywords are case-insensitive. Never throws, never crashes on any
// input.
std::variant<Command, Response> parse_command(std::string_view command);

// IDLE ends with a line "DONE" (RFC 2177), case-insensitive.
bool is_idle_done(std::string_view line);

}  // namespace hm::imap::proto
