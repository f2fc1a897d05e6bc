#pragma once
// Base64 (RFC 4648, standard alphabet, with '=' padding): strict, as LDIF's
// "attr:: value" lines need it, and lenient, as MIME bodies and encoded
// words need it. Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace hm {

std::string base64_encode(std::string_view bytes);

// Strict decoding: only the standard alphabet, length a multiple of four,
// padding only at the end. Returns nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

// Lenient decoding, for mail: characters outside the alphabet (line breaks,
// garbage) are skipped and decoding stops at the first '='.
std::string base64_decode_lenient(std::string_view text);

}  // namespace hm
