#pragma once
// Text in a named charset converted to UTF-8, for RFC 2047 encoded words,
// RFC 2231 parameters and SEARCH. glibc's iconv does the conversion (every
// charset mail uses, no extra library); UTF-8, US-ASCII and ISO-8859-1 take a
// fast path. Never fails: an unknown charset or an invalid sequence gives
// U+FFFD for the bytes it cannot convert, as real clients show them.
//
// Thread-safety: pure functions (each call opens its own iconv descriptor).

#include <string>
#include <string_view>

namespace hm::mime {

// Appends `bytes`, read as `charset` (case-insensitive; RFC 2231 language
// suffix "*lang" ignored), to `out` as UTF-8.
void append_utf8(std::string_view charset, std::string_view bytes, std::string& out);

// Appends `bytes` with every invalid UTF-8 sequence replaced by U+FFFD.
void append_valid_utf8(std::string_view bytes, std::string& out);

}  // namespace hm::mime
