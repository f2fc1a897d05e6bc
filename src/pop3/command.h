#pragma once
// POP3 commands (RFC 1939, CAPA RFC 2449, AUTH RFC 5034, STLS RFC 2595):
// one line, a keyword and its arguments, parsed without I/O so that the
// parser can be tested and fuzzed alone. The session reads the line
// (net::Connection bounds its length) and asks this what it says.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace hm::pop3 {

enum class Verb {
  kUser,
  kPass,
  kApop,
  kAuth,
  kStls,
  kCapa,
  kQuit,
  kStat,
  kList,
  kRetr,
  kDele,
  kNoop,
  kRset,
  kTop,
  kUidl,
};

struct Command {
  Verb verb = Verb::kNoop;
  // USER's name, PASS's password (the rest of the line, spaces and all),
  // AUTH's mechanism (upper case).
  std::string text;
  // AUTH's initial response (RFC 5034 4: "=" is an empty one).
  std::optional<std::string> initial_response;
  // LIST, UIDL (optional), RETR, DELE, TOP: the message number, from 1.
  std::optional<uint32_t> message;
  uint32_t lines = 0;  // TOP's line count (clamped to 2^32-1)
};

// Why a line is no command: the text of the -ERR reply (printable ASCII).
struct ParseError {
  std::string text;
};

std::variant<Command, ParseError> parse_command(std::string_view line);

// The keyword of a verb, as it is written ("RETR").
std::string_view to_string(Verb verb);

}  // namespace hm::pop3
