#pragma once
// IMAP strings (RFC 3501 4.3, 9 "string"/"nstring") as ENVELOPE and
// BODYSTRUCTURE write them: a quoted string when the text allows it (7-bit,
// no CR, LF or NUL; '"' and '\' escaped), otherwise a literal {n}CRLF...
// (8-bit header text: IMAP4rev1 has no 8-bit quoted strings). NUL cannot be
// sent in a literal either, so it becomes a space; CR and LF, which
// unfolding already removed, become spaces too.
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>

namespace hm::mime {

void append_imap_string(std::string& out, std::string_view s);
// NIL for an empty string, as RFC 3501 sends an absent field.
void append_imap_nstring(std::string& out, std::string_view s);

}  // namespace hm::mime
