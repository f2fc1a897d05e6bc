#pragma once
// Modified UTF-7 (RFC 3501 5.1.3), the encoding of IMAP4rev1 mailbox names,
// to and from UTF-8. Names are stored and compared as UTF-8 (what the store
// and the file system see); mUTF-7 exists only on the wire.

#include <optional>
#include <string>
#include <string_view>

namespace hm::imap::proto {

// Decodes a mailbox name as sent by a client. nullopt for anything that is
// not canonical modified UTF-7, so that no two spellings reach the store as
// different names and no trick smuggles a byte through: bytes outside
// printable US-ASCII (0x20-0x7e), an unterminated "&" section, a base64
// character outside the modified alphabet (',' instead of '/'), "=" padding,
// non-zero padding bits, a section that encodes a printable US-ASCII
// character (which must stand for itself), NUL or a control character, an
// unpaired UTF-16 surrogate, or an empty section other than "&-" (which is
// "&").
std::optional<std::string> mutf7_decode(std::string_view name);

// Encodes a UTF-8 name. nullopt when `name` is not valid UTF-8 (overlong
// forms, surrogates, code points over U+10FFFF) or contains a control
// character.
std::optional<std::string> mutf7_encode(std::string_view utf8);

}  // namespace hm::imap::proto
