#pragma once
// RFC 2047 encoded words ("=?charset?B?...?=", "=?charset?Q?...?=") decoded
// to UTF-8, for SEARCH and for showing names and filenames. ENVELOPE does not
// use it: RFC 3501 sends header text as it is, encoded words and all.
//
// Lenient as mail readers are: encoded words inside quoted strings or words
// are decoded too, blanks between two encoded words are dropped, adjacent
// words in one charset are joined before conversion (a multi-byte character
// split across two words survives), and anything malformed stays as written.
// Raw 8-bit text is taken as UTF-8 (invalid sequences become U+FFFD).
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>

namespace hm::mime {

// `text` should be unfolded (header.h unfold()).
std::string decode_encoded_words(std::string_view text);

}  // namespace hm::mime
