#pragma once
// Another IMAP server's UID list, read in place so that a folder moved to
// hostmail keeps its UIDVALIDITY and every message's UID (and clients do
// not download it again): Dovecot's "dovecot-uidlist" (versions 1 and 3)
// and Courier-IMAP's "courierimapuiddb" (version 1). Nothing here writes
// or removes the other server's files: a site can switch back during a
// trial. The formats and the rules are in docs/store-format.md
// ("Migrating from Courier and Dovecot").
//
// The parsers only read the syntax; the import (import_foreign_uid_list)
// then makes a hostmail UidList of the messages that exist: entries naming
// missing files, a UID or a name twice, UID 0 are dropped with a log line,
// UIDs not ascending are sorted, and UIDNEXT is raised above the highest
// UID kept. Files the list does not name get new UIDs above its UIDNEXT at
// the folder's sync (maildir_folder.h), as any new message does.
//
// Thread-safety: pure functions; the import reads the folder only.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/maildir/uid_list.h"

namespace hm::store::maildir {

inline constexpr const char* kDovecotUidListName = "dovecot-uidlist";
inline constexpr const char* kCourierUidDbName = "courierimapuiddb";

// The MODSEQ an imported folder starts at (its HIGHESTMODSEQ, every
// entry's MODSEQ and the floor of its record of expunges). Dovecot's
// MODSEQs are in its index, a cache not read here: starting above any it
// plausibly gave (a counter of changes) and recording expunges only from
// here on means a CONDSTORE/QRESYNC client that kept one of Dovecot's gets
// every message's flags and every UID that is gone, never too little.
inline constexpr uint64_t kImportedModseq = uint64_t{1} << 32;

// Where a folder's UIDs came from.
enum class UidSource { kHostmail, kDovecot, kCourier, kNew };
// "hostmail", "dovecot-uidlist", "courierimapuiddb", "new".
std::string_view uid_source_name(UidSource source);

struct ForeignEntry {
  uint32_t uid = 0;
  std::string base;  // the Maildir base name (any ":2,..." info cut off)
};

struct ForeignUidList {
  uint32_t uid_validity = 0;
  uint64_t uid_next = 1;
  std::vector<ForeignEntry> entries;  // as in the file: maybe unsorted, with duplicates
};

// Dovecot's file, version 3 ("3 V<validity> N<next> [G<guid> ...]", lines
// "<uid> [<ext fields>] :<name>") or 1 ("1 <validity> <next>", lines
// "<uid> <name>"). kInvalid for another version, a bad header, or a line
// that does not fit (the caller then numbers the folder anew).
Result<ForeignUidList> parse_dovecot_uidlist(std::string_view text);

// Courier-IMAP's file: "1 <validity> <next>", lines "<uid> <name>".
// kInvalid as above.
Result<ForeignUidList> parse_courier_uiddb(std::string_view text);

// Makes hostmail's list from `foreign` and the messages present: `present`
// holds each existing message's base name and its normalized flags (from
// its file name). Every entry gets MODSEQ kImportedModseq. Each dropped entry adds a
// line to `dropped` (for the log).
UidList list_from_foreign(const ForeignUidList& foreign,
                          const std::vector<std::pair<std::string, std::string>>& present,
                          std::vector<std::string>& dropped);

struct ImportedList {
  UidList list;
  UidSource source = UidSource::kNew;
};

// The hook of a folder's first sync (it has no hostmail-uidlist): reads
// dovecot-uidlist, else courierimapuiddb, of the folder open as `dir_fd`
// (`shown` its path), lists its cur/ and new/ and returns the list to
// start from. nullopt when it has neither file, or the one it has is
// corrupt (logged: the folder is then numbered anew). Dovecot's file wins
// when both exist: Dovecot reads Courier's file when it first opens a
// folder and keeps only its own up to date afterwards, so Courier's is the
// older. Errors: I/O (kTemporary and the like).
Result<std::optional<ImportedList>> import_foreign_uid_list(int dir_fd, const std::string& shown);

// The messages of the folder's cur/ and new/: base name and normalized
// flags, each base once (cur/ wins), in no particular order.
Result<std::vector<std::pair<std::string, std::string>>> present_messages(int dir_fd,
                                                                          const std::string& shown);

// The text of the folder's file of `source` (kDovecot or kCourier), bounded
// in size (kInvalid past it). kNotFound when it is not there.
Result<std::string> read_foreign_uid_list(int dir_fd, UidSource source, const std::string& shown);

// Which other server's list the folder holds (without reading it
// through): kDovecot, kCourier or kNew when neither.
UidSource foreign_uid_list_present(int dir_fd);

}  // namespace hm::store::maildir
