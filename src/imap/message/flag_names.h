#pragma once
// IMAP flag names (RFC 3501 2.3.2) to and from the store's flag bits and
// keyword masks: FETCH FLAGS, SELECT's FLAGS and PERMANENTFLAGS, and the
// flags of STORE and APPEND.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/mailbox.h"

namespace hm::imap {

// "(\\Answered \\Seen \\Recent $Label)": the system flags of `m` in the
// order \Answered \Flagged \Deleted \Seen \Draft, then \Recent when
// m.recent, then its keywords (names from `keywords`, the mailbox's table;
// a bit past the table's end is left out).
std::string format_flags(const store::MessageMeta& m, const std::vector<std::string>& keywords);

// "(\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label ...)": SELECT's
// FLAGS response; with `permanent` (PERMANENTFLAGS) "\\*" is added last, as
// clients may create new keywords.
std::string format_flag_list(const std::vector<std::string>& keywords, bool permanent);

struct ParsedFlags {
  uint8_t flags = 0;                  // store::Flag bits
  std::vector<std::string> keywords;  // as sent, each once
};

// Longest keyword accepted: Maildir keeps keyword names in a file of their
// own, and a name is no place for data.
inline constexpr size_t kMaxKeywordLength = 128;

// Client flag names to store bits and keywords. System flags are matched
// case-insensitively; keywords are kept as sent (an exact repeat counts
// once). kInvalid, with a text a client can act on, for \Recent (only the
// server sets it), an unknown \-flag, or a keyword that is not an atom (or
// is longer than kMaxKeywordLength).
Result<ParsedFlags> parse_flags(const std::vector<std::string>& names);

// The store::Flag bit of a system flag name ("\\Seen", any case), 0 when
// `name` is none of the five.
uint8_t system_flag(std::string_view name);

}  // namespace hm::imap
