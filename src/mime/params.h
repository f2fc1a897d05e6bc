#pragma once
// Fields with parameters (Content-Type, Content-Disposition): the value and
// its parameters, with RFC 2231 continuations ("name*0", "name*1*") joined.
//
// Parameters are kept the way BODYSTRUCTURE sends them: a parameter that was
// RFC 2231-encoded anywhere keeps its "name*" and "charset'lang'%XX" form
// (continuations joined), as Dovecot sends it; param_utf8() gives the decoded
// text for display and SEARCH. Never fails: malformed parameters are skipped.
//
// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hm::mime {

struct Param {
  std::string name;  // lower case ("filename", or "filename*" when RFC 2231-encoded)
  std::string value;
};

struct FieldWithParams {
  std::string value;  // before the first ';', comments removed, trimmed
  std::vector<Param> params;
};

inline constexpr size_t kMaxParams = 64;

// `unfolded` is the field's value (header.h unfold()).
FieldWithParams parse_field_with_params(std::string_view unfolded);

// The decoded UTF-8 value of parameter `name` (lower case): RFC 2231's
// charset and %XX decoded, or for a plain parameter its RFC 2047 encoded
// words decoded (many mailers encode filenames so).
std::optional<std::string> param_utf8(const std::vector<Param>& params, std::string_view name);

}  // namespace hm::mime
