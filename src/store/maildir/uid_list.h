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
#include <utility>
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

// UIDs expunged together, under one MODSEQ (QRESYNC's VANISHED).
struct ExpungedRun {
  uint64_t modseq = 0;
  std::vector<std::pair<uint32_t, uint32_t>> ranges;  // first..last, ascending, disjoint
};

// How many UID ranges the expunged record keeps; older runs are dropped
// (and expunged_floor raised) beyond it, so the list stays bounded.
inline constexpr size_t kMaxExpungedRanges = 4096;

struct UidList {
  uint32_t uid_validity = 0;
  uint64_t uid_next = 1;  // up to kMaxUid + 1: then the folder is out of UIDs
  uint64_t highest_modseq = 1;
  // The highest UID a read-write view has claimed as \Recent: messages
  // above it are recent for the next view that claims them.
  uint32_t recent_uid = 0;
  // The record of expunges is complete for every MODSEQ above this one.
  uint64_t expunged_floor = 0;
  std::vector<ExpungedRun> expunged;  // ascending MODSEQ, each above expunged_floor
  // The mtimes of new/ and cur/ (nanoseconds since the epoch) when a sync
  // listed them and found exactly the entries below, recorded only when
  // they were old enough to be trusted (maildir_folder.h): while both
  // folders still have them, the list is up to date without a listing.
  struct FolderTimes {
    int64_t new_ns = 0, cur_ns = 0;
    bool operator==(const FolderTimes&) const = default;
  };
  std::optional<FolderTimes> folder_times;
  std::vector<UidEntry> entries;  // strictly ascending UIDs
};

// Adds `uids` (ascending) to the expunged record under `modseq` (the
// list's highest_modseq after the expunge), dropping the oldest runs when
// the record would pass kMaxExpungedRanges.
void record_expunged(UidList& list, uint64_t modseq, const std::vector<uint32_t>& uids);

// The UIDs expunged after `modseq`, ascending; nullopt when the record does
// not go back that far (`modseq` below expunged_floor).
std::optional<std::vector<uint32_t>> expunged_after(const UidList& list, uint64_t modseq);

// The text of `list` in the format of docs/store-format.md (version 2).
std::string format_uid_list(const UidList& list);

// Parses that text, or a list of version 1 (which has no recent and
// expunged lines: nothing is recent, and the expunged record starts at its
// highestmodseq). kInvalid, saying where, for anything that does not match
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
