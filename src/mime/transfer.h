#pragma once
// Content-Transfer-Encoding decoding (RFC 2045 6): what IMAP's BINARY
// (RFC 3516) sends and what SEARCH BODY/TEXT looks in. Lenient, as mail
// readers are: base64 skips characters outside its alphabet, and
// quoted-printable keeps an '=' that starts no valid escape.
//
// Thread-safety: pure function.

#include <optional>
#include <string>
#include <string_view>

namespace hm::mime {

// The decoded bytes of `body` in `encoding` (case-insensitive; "" is 7bit).
// 7bit, 8bit and binary are returned as they are. Nothing for an encoding
// this does not know (BINARY answers that with [UNKNOWN-CTE]).
std::optional<std::string> decode_transfer(std::string_view encoding, std::string_view body);

std::string decode_quoted_printable(std::string_view in);

}  // namespace hm::mime
