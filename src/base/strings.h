#pragma once
// Small ASCII string helpers. Mail protocols are case-insensitive in ASCII
// only, so none of these consult the locale.

#include <string>
#include <string_view>
#include <vector>

namespace hm {

std::string ascii_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string_view trim(std::string_view s);
// Splits on every occurrence of sep; empty fields are kept.
std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
// RFC 5322 atext (ASCII letters, digits and !#$%&'*+-/=?^_`{|}~).
bool is_atext(unsigned char c);
// Compares in time that depends only on the lengths, for secrets.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace hm
