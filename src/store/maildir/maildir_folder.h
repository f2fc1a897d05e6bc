#pragma once
// One Maildir folder (the INBOX or a Maildir++ ".Name" folder) opened as a
// mailbox: its messages by UID with flags, size, internal date and MODSEQ,
// and the folder's UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ, kept in its UID
// list (uid_list.h, docs/store-format.md). It knows no IMAP syntax.
//
// Syncing: open() and sync() bring the UID list up to date with the files:
// new/ and cur/ are listed; files not yet in the list get the next UIDs in
// the order of their delivery time (from the name; the file's mtime for a
// name without one); entries whose files are gone (expunged by another
// tool) are dropped and recorded as expunged (QRESYNC); a changed ":2,"
// info (flags set by another tool) bumps the entry's MODSEQ. The list is
// written back, atomically, only when something changed. sync() costs
// three stat() calls when nothing changed: it remembers the mtimes of new/
// and cur/ and the list's identity, and lists the folders only when one of
// them moved (or when the last look was too soon after a change to trust a
// timestamp's granularity). A sync that lists settled folders records
// their mtimes in the list (uid_list.h: folder_times); open() trusts a list
// whose recorded mtimes are still those of new/ and cur/ and lists
// nothing: a message's file is then cur/<base>:2,<flags>, or new/<base>
// when it has no flags, and a reader that finds neither calls sync() with
// `relist` (another tool renamed it).
//
// Concurrency: every update of the list (sync, set_flags, update_flags,
// expunge, adopt) happens under an fcntl() lock on the folder's lock file
// "hostmail-uidlist.lock" (open-file-description locks, so it holds
// between threads of a process too, and across processes and hosts where
// the file system supports POSIX locks: NFS, GlusterFS). Delivery never
// takes it: a message is written to new/ as before (maildir_delivery.h)
// and gets its UID at the next sync of any reader.
//
// Crash safety: the list is replaced atomically (write, fsync, rename,
// fsync folder), UIDNEXT only grows, and a message's file is never touched
// by a sync, so a crash (SIGKILL, power loss) at any step leaves the old
// list or the new one, reuses no UID and loses no message. A corrupt list
// (damaged by hand or by a disk) is rebuilt with a new UIDVALIDITY, which
// tells clients to forget what they knew, as IMAP requires.
//
// Thread-safety: one MaildirFolder is used by one thread at a time; any
// number of them, in any threads and processes, may have the same folder
// open.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sys/stat.h>

#include "base/result.h"
#include "base/unique_fd.h"
#include "store/maildir/file_lock.h"
#include "store/maildir/uid_list.h"

namespace hm::store::maildir {

inline constexpr const char* kUidLockName = "hostmail-uidlist.lock";

// Whether `list` is up to date with the folders without a listing: it
// records (uid_list.h) exactly the mtimes `new_mtime` and `cur_mtime` that
// new/ and cur/ have now, and those are at least two seconds before `now`
// (a change within a tick of the file system's clock would not move them).
bool list_is_settled(const UidList& list, const timespec& new_mtime, const timespec& cur_mtime,
                     int64_t now);

struct FolderOptions {
  bool fsync = true;  // false only for tests and benchmarks that say so
  // How long to wait for the folder's lock before kTemporary.
  std::chrono::milliseconds lock_timeout{30000};
};

// A message as of the folder's last sync. `flags` and `base` view the
// folder's UID list (each name is kept once, however many readers look):
// valid until the folder's next sync or change.
struct MessageInfo {
  uint32_t uid = 0;
  uint64_t modseq = 0;
  std::string_view flags;        // normalized (maildir_name.h): D F P R S T, and keyword letters
  std::optional<uint64_t> size;  // ",S=" of the name: bytes of the file
  std::optional<uint64_t> wire_size;  // ",W=": with CRLF line ends (RFC822.SIZE)
  int64_t internal_date = 0;          // unix seconds: delivery time in the name, else mtime
  std::string_view base;              // the Maildir base name
};

class MaildirFolder {
 public:
  // Opens the Maildir at `path` (holding cur/, new/ and tmp/; the last part
  // of the path and cur/ and new/ are never followed if they are symbolic
  // links: kPermission) and syncs it. kNotFound when it is not there.
  static Result<std::unique_ptr<MaildirFolder>> open(const std::string& path,
                                                     FolderOptions options = {});

  MaildirFolder(const MaildirFolder&) = delete;
  MaildirFolder& operator=(const MaildirFolder&) = delete;
  ~MaildirFolder();

  // Brings the messages up to date (above). True when anything changed
  // since the last sync. Errors: kTemporary (I/O, the lock not got in
  // time), kLimit (the folder has used all 2^32-1 UIDs: it must be
  // recreated). With `claim_recent`, the UIDs above the list's "recent"
  // line are claimed as \Recent for this folder object (last_claim()) and
  // the line raised to UIDNEXT-1: the next claimer gets none of them.
  // With `relist`, the folders are listed whatever the mtimes say (a file
  // was not where the list said).
  Result<bool> sync(bool claim_recent = false, bool relist = false);

  // How many times this object listed new/ and cur/ (for tests).
  size_t listings() const { return listings_; }

  // The UIDs the last sync claimed as recent: (first, last], or nullopt.
  std::optional<std::pair<uint32_t, uint32_t>> last_claim() const { return last_claim_; }
  // The list as of the last sync (or change): its expunged record and
  // recent line, for the layers above.
  const UidList& list() const { return list_; }

  uint32_t uid_validity() const { return list_.uid_validity; }
  uint64_t uid_next() const { return list_.uid_next; }
  uint64_t highest_modseq() const { return list_.highest_modseq; }
  // In ascending UID order, as of the last sync.
  const std::vector<MessageInfo>& messages() const { return messages_; }
  // nullptr when there is no such UID (as of the last sync).
  const MessageInfo* find(uint32_t uid) const;

  // Sets the standard flags of message `uid` to `flags` (letters of
  // "DFPRST"; others are kInvalid), keeping its keyword letters: the file
  // is renamed into cur/ with the new ":2," info, both folders fsynced, its
  // MODSEQ bumped and the list written. Syncs first, under the lock.
  // kNotFound when the message is gone (expunged meanwhile).
  Status set_flags(uint32_t uid, std::string_view flags);

  // Changes the flags of many messages under one lock and one write of the
  // list. Under the lock, after the folder is synced: `prepare` (when set)
  // runs first (e.g. to update the keyword file), then `decide` is asked,
  // for each of `uids` the folder has, the message's new flags (normalized
  // letters, keywords included) from its entry as on disk, or nullopt to
  // leave it. Each message whose flags change is renamed, gets a new MODSEQ;
  // returns their UIDs, ascending. The folder's messages() are then up to
  // date (other changes found under the lock included).
  using FlagDecider = std::function<std::optional<std::string>(const UidEntry& entry)>;
  Result<std::vector<uint32_t>> update_flags(const std::vector<uint32_t>& uids,
                                             const std::function<Status()>& prepare,
                                             const FlagDecider& decide);

  // Removes the messages among `uids` (every message when null) for which
  // `pick` says so: their files are unlinked (the folders fsynced), then
  // they leave the list, recorded as expunged under one new MODSEQ. Returns
  // their UIDs, ascending. A crash in between loses nothing: the next sync
  // finds the files gone and records them then.
  Result<std::vector<uint32_t>> expunge(const std::vector<uint32_t>* uids,
                                        const std::function<bool(const UidEntry&)>& pick);

  // Adds messages: under the lock, `place` puts new files into cur/ or new/
  // (durably: written, fsynced, linked, folder fsynced) and returns their
  // base names in the order they should be numbered; they get the next
  // UIDs in that order (after files delivered meanwhile), the list is
  // written, and their UIDs are returned in the same order. When the list
  // cannot be written, the placed files are removed again.
  using Placer = std::function<Result<std::vector<std::string>>()>;
  Result<std::vector<uint32_t>> adopt(const Placer& place);

  // The file of message `uid` relative to the folder: "new/<name>" or
  // "cur/<name>", as of the last sync. kNotFound for an unknown UID.
  Result<std::string> file_of(uint32_t uid) const;

  // Where message `uid`'s file is, as of the last sync: its folder (cur/
  // or new/, open here) and name, and both folders for a look-up again when
  // another tool renamed it meanwhile. kNotFound for an unknown UID.
  struct FileRef {
    int dir_fd = -1;
    std::string name;
    int cur_fd = -1, new_fd = -1;
  };
  Result<FileRef> locate(uint32_t uid) const;

  const std::string& path() const { return path_; }
  // The folder itself, open (for the files beside the messages).
  int root_fd() const { return root_.get(); }

 private:
  // Where a message's file is, beside its list entry (same index): the
  // file's name is the entry's base followed by `info` (":2,FS"; short
  // enough to need no allocation).
  struct Placed {
    std::string info;
    int64_t internal_date = 0;
    bool in_cur = false;
    bool dated_by_mtime = false;  // the name holds no delivery time
    bool guessed = false;         // from the list alone (sync_from_list), not a listing
  };
  // Where a message's file was seen (while a sync works).
  struct Seen {
    bool in_cur = false;
    std::string name;  // the whole file name
    int64_t internal_date = 0;
  };
  // What sync() compares to decide whether to list the folders.
  struct Stamps {
    timespec new_mtime{}, cur_mtime{}, list_mtime{};
    ino_t list_ino = 0;
    off_t list_size = -1;
    bool operator==(const Stamps& o) const;
  };

  MaildirFolder(std::string path, FolderOptions options);
  Result<Stamps> take_stamps() const;
  // open()'s sync from a settled list, without listing the folders;
  // nullopt when the list cannot be trusted (then the caller lists).
  Result<std::optional<bool>> sync_from_list(bool claim_recent, const Stamps& before);
  // The claim of \Recent (sync's claim_recent) on `list`; true when the list
  // changed.
  bool claim(UidList& list);
  // Whether every file's name is what the list alone would make of it
  // (sync_from_list): only then are the folders' mtimes recorded.
  static bool names_follow_list(const UidList& list,
                                const std::unordered_map<std::string, Seen>& now);
  // Whether a sync changed what the folder tells its user.
  bool moves(const UidList& list, bool changed) const;
  // The folder's lock (file_lock.h), held while the result lives.
  Result<FileLock> lock() const;
  // Reads the list and the folders and merges them into `list` and `now`
  // (where each message's file is); sets `changed` when the list must be
  // written. Under the lock.
  // `ours` (when set): new base names that get their UIDs after every
  // other new file, in this order.
  Status sync_locked(UidList& list, std::unordered_map<std::string, Seen>& now, bool& changed,
                     const std::vector<std::string>* ours = nullptr) const;
  // Makes `list` and `now` the folder's state, writing the list first when
  // `changed`.
  Status commit(UidList& list, std::unordered_map<std::string, Seen>& now, bool changed);
  Status write_list(const UidList& list) const;
  // Makes `list` (written) and `now` the folder's state.
  void install(UidList&& list, std::unordered_map<std::string, Seen>& now);
  void rebuild_messages();
  // Index of `uid` in list_.entries, or nullopt.
  std::optional<size_t> index_of(uint32_t uid) const;

  std::string path_;
  FolderOptions options_;
  UniqueFd root_, new_, cur_;
  UniqueFd lock_file_;
  UidList list_;
  std::vector<Placed> placed_;  // aligned with list_.entries
  std::vector<MessageInfo> messages_;
  std::optional<Stamps> stamps_;  // of the last full sync, when they can be trusted
  std::optional<std::pair<uint32_t, uint32_t>> last_claim_;
  bool synced_ = false;  // a sync has been made (open's is the first)
  mutable size_t listings_ = 0;
};

}  // namespace hm::store::maildir
