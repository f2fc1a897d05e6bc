#pragma once
// The UID list of one Maildir folder: which UID each message has, the
// folder's UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ, and each message's MODSEQ
// and last known flags. It is the one record of these numbers (an index is
// only a cache of it): losing it would make every client download the folder
// again. The format is docs/store-format.md; this file is its one reader and
// writer.
//
// Durability: write_uid_list replaces the file atomically (a new file
// written and fsynced under a temporary name, renamed over the old one, the
// folder fsynced), so after a crash at any step the folder holds the old
// list or the new one, never a mix. Callers hold the folder's lock
// (maildir_folder.h) while they read, change and write it.
//
// Thread-safety: UidList is a value; the functions are reentrant.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::store::maildir {

inline constexpr const char* kUidListName = "hostmail-uidlist";
inline constexpr const char* kUidListTmpName = "hostmail-uidlist.tmp";
// IMAP UIDs are 32-bit and never 0.
inline constexpr uint64_t kMaxUid = 0xffffffffULL;

struct UidEntry {
  uint32_t uid = 0;
  uint64_t modseq = 0;
  std::string flags;  // as in the file name's info, normalized (maildir_name.h)
  std::string base;   // the Maildir base name, without the info
};

struct UidList {
  uint32_t uid_validity = 0;
  uint64_t uid_next = 1;  // up to kMaxUid + 1: then the folder is out of UIDs
  uint64_t highest_modseq = 1;
  std::vector<UidEntry> entries;  // strictly ascending UIDs
};

// The text of `list` in the format of docs/store-format.md.
std::string format_uid_list(const UidList& list);

// Parses that text. kInvalid, saying where, for anything that does not match
// the grammar or breaks its rules (UIDs not ascending or not below UIDNEXT,
// a MODSEQ above HIGHESTMODSEQ, a base name twice, a missing end line).
Result<UidList> parse_uid_list(std::string_view text);

// Reads the list of the folder open as `dir_fd` (`shown` names the folder).
// nullopt when it has none yet; kInvalid when it is corrupt.
Result<std::optional<UidList>> read_uid_list(int dir_fd, const std::string& shown);

// Replaces the folder's list by `list`, durably (see above). Every call that
// changes the disk goes through base/file_system.h. `fsync` false only for
// tests and benchmarks that say so.
Status write_uid_list(int dir_fd, const UidList& list, const std::string& shown, bool fsync = true);

}  // namespace hm::store::maildir
