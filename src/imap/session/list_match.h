#pragma once
// LIST and LSUB patterns (RFC 3501 6.3.8): "*" matches any run of
// characters, "%" any run without the hierarchy separator. The reference
// name is put in front of the pattern, as most servers do. "INBOX" is
// matched in any case. Pure; thread-safe.

#include <string>
#include <string_view>

namespace hm::imap {

// The pattern a LIST's reference and mailbox pattern make together.
std::string list_pattern(std::string_view reference, std::string_view pattern);

// Whether `name` (a mailbox name as LIST shows it) matches `pattern`.
bool list_matches(std::string_view pattern, std::string_view name, char separator);

}  // namespace hm::imap
