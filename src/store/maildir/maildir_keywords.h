#pragma once
// A folder's keyword names, in Dovecot's file "dovecot-keywords" beside the
// messages, so that Dovecot and hostmail read each other's keywords: one
// line "<index> <name>" per keyword, where index 0 is the letter 'a' of the
// ":2," info, 1 is 'b', ... up to 25 ('z'). A file name's lower-case
// letters are thus keywords whose names this file holds.
//
// Changes are made under the folder's lock (maildir_folder.h) and replace
// the file atomically (written beside it, fsynced, renamed), so a reader
// without the lock sees the old list or the new one. Letters are given in
// order and never taken back (a message may still carry one), so an index
// keeps its name for the life of the folder.
//
// Thread-safety: reentrant.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::store::maildir {

inline constexpr const char* kKeywordsName = "dovecot-keywords";
inline constexpr size_t kMaxKeywordLetters = 26;
inline constexpr size_t kMaxKeywordBytes = 128;

// Index i is the letter 'a' + i; an index the file does not name is "".
using KeywordNames = std::vector<std::string>;

// kInvalid when `name` cannot be a keyword: empty, too long, holding a
// space, a control byte or one of IMAP's atom-specials, or starting with
// '\' (the system flags' mark).
Status check_keyword(std::string_view name);

// Parses the file's text; lines that do not fit (a bad index, a bad name)
// are skipped, as Dovecot does.
KeywordNames parse_keywords(std::string_view text);
std::string format_keywords(const KeywordNames& names);

// The keywords of the folder open as `dir_fd` (none when it has no file).
Result<KeywordNames> read_keywords(int dir_fd, const std::string& shown);
Status write_keywords(int dir_fd, const KeywordNames& names, const std::string& shown,
                      bool fsync = true);

// The index of `name` (compared without regard to ASCII case, as IMAP
// compares flags), adding it at the first free index when `add`. nullopt
// when it is not there and not added; kLimit when all 26 are taken.
Result<std::optional<size_t>> keyword_index(KeywordNames& names, std::string_view name, bool add);

}  // namespace hm::store::maildir
