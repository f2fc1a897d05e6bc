#pragma once
// Base64 (RFC 4648, standard alphabet, with '=' padding) as LDIF uses it for
// "attr:: value" lines. Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace hm::ldif {

std::string base64_encode(std::string_view bytes);

// Strict decoding: only the standard alphabet, length a multiple of four,
// padding only at the end. Returns nullopt on anything else.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace hm::ldif
