#pragma once
// File-system paths as strings, without touching the disk.

#include <string>
#include <string_view>

namespace hm {

// The folder that holds `path`: "a/b/c" -> "a/b", "/a" -> "/", "a" -> ".".
// Purely textual: no "..", no links, no trailing slashes are resolved
// ("a/b/" -> "a/b"), so callers pass paths they built themselves.
std::string parent_of(std::string_view path);

}  // namespace hm
