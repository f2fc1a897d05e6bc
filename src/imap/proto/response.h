#pragma once
// IMAP responses (RFC 3501 7): status responses, tagged or untagged, with an
// optional response code, and the helpers that write IMAP data items with the
// right quoting. No I/O: everything appends to a std::string the session
// sends as it is.

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hm::imap::proto {

enum class Status { kOk, kNo, kBad, kBye, kPreauth };

std::string_view to_string(Status status);

// A status response: "<tag> <status> [<code>] <text>\r\n". An empty tag is
// written as "*" (untagged).
struct Response {
  std::string tag;  // "" = untagged
  Status status = Status::kOk;
  std::string code;  // without brackets: "TOOBIG", "UIDNEXT 17"; "" = none
  std::string text;  // human-readable; CR, LF and NUL are replaced on output
};

Response make_response(std::string_view tag, Status status, std::string_view code,
                       std::string_view text);

// The wire form, CRLF-terminated.
std::string format(const Response& response);

// A command continuation request: "+ <text>\r\n" (RFC 3501 7.5), sent for a
// synchronizing literal, during AUTHENTICATE and when IDLE starts.
std::string format_continuation(std::string_view text);

// Data items. Each appends to `out`.
//
// A string as atom when every byte is an ATOM-CHAR (and it is not "NIL",
// which would read as nil), else as a quoted string, else as a literal: CR,
// LF, NUL and 8-bit bytes force a literal, as does a length over
// kMaxQuotedLength (long quoted strings with many escapes are harder on
// clients than a counted literal).
void append_astring(std::string& out, std::string_view s);
// The same but never an atom (RFC 3501 "string": quoted or literal).
void append_string(std::string& out, std::string_view s);
// NIL for nullopt, else a string.
void append_nstring(std::string& out, const std::optional<std::string_view>& s);
// A literal "{n}\r\n" + bytes, always.
void append_literal(std::string& out, std::string_view s);
// A parenthesised list of atoms as they are ("(\\Seen $Label)"), for flag
// and capability lists; the caller passes only valid atoms or flags.
void append_atom_list(std::string& out, const std::vector<std::string>& atoms);

// RFC 3501 date-time, quoted: "\"02-Dec-2026 14:05:09 +0100\"". `t` is the
// instant; `offset_minutes` the zone it is shown in (east of UTC positive).
void append_date_time(std::string& out, std::time_t t, int offset_minutes = 0);

constexpr size_t kMaxQuotedLength = 1024;

}  // namespace hm::imap::proto
