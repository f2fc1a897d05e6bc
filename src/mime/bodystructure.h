#pragma once
// RFC 3501's BODYSTRUCTURE and BODY (7.4.2) of a parsed message: sizes in
// CRLF octets, lines of text/* and message/rfc822 bodies, the encapsulated
// ENVELOPE and body of message/rfc822, and for BODYSTRUCTURE the extension
// data (non-multipart: md5 disposition language location; multipart:
// parameters disposition language location).
//
// Defaults as Dovecot writes them: ("text" "plain" ("charset" "us-ascii")
// ... "7bit" ...); types, subtypes and parameter names lower case; strings
// through imap_string.h.
//
// Thread-safety: pure functions.

#include <string>

#include "mime/message.h"

namespace hm::mime {

// BODYSTRUCTURE when `extended`, else BODY (no extension data).
void append_bodystructure(std::string& out, const Message& m, bool extended);

std::string bodystructure(const Message& m);
std::string body(const Message& m);

}  // namespace hm::mime
