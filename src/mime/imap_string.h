#pragma once
// IMAP strings (RFC 3501 4.3, 9 "string"/"nstring") as ENVELOPE and
// BODYSTRUCTURE write them: imap::proto::append_string (quoted when the
// text allows it, else a literal: 8-bit header text, as IMAP4rev1 has no
// 8-bit quoted strings). Text with NUL (which no literal may carry), CR or
// LF (which unfolding already removed) is sent as a literal with those
// bytes as spaces.
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>

namespace hm::mime {

void append_imap_string(std::string& out, std::string_view s);
// NIL for an empty string, as RFC 3501 sends an absent field.
void append_imap_nstring(std::string& out, std::string_view s);

}  // namespace hm::mime
