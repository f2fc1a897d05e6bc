#pragma once
// What the Maildir mailboxes of one account share (maildir_mailboxes.h,
// maildir_mailbox.h): where its mail is, who owns it, its quota; and the
// account's own files at the top of its Maildir++ tree:
//
//   hostmail-specialuse   the folders' RFC 6154 attributes; its existence
//                         also says that the default folders were made once
//   subscriptions         the subscribed folders, one name per line, as
//                         Courier and Dovecot keep it (names joined by '.')
//   hostmail-account.lock the fcntl lock for changing either
//
// (docs/store-format.md has the formats.) Both are replaced atomically
// (written beside, renamed), under the lock, so concurrent sessions and
// processes never lose each other's changes.
//
// Thread-safety: MaildirAccount is a value; the functions are reentrant.
// AsOwner changes the calling thread's file-system identity only.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/mailbox.h"

namespace hm::store::maildir {

inline constexpr const char* kSpecialUseName = "hostmail-specialuse";
inline constexpr const char* kSubscriptionsName = "subscriptions";
inline constexpr const char* kAccountLockName = "hostmail-account.lock";

struct MaildirAccount {
  std::string root;  // the Maildir++ root (the INBOX), ending in '/'
  // Owner of what is created, when running as root; -1: the process's.
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  uint64_t quota_bytes = 0;  // 0: none
  std::string hostname;      // in new file names
  bool fsync = true;         // false only for tests and benchmarks that say so
  std::chrono::milliseconds lock_timeout{30000};
  // Mailbox::cache values waiting in memory before the folder's index is
  // written (shared_index.h; the rest is written on close).
  size_t cache_bytes = size_t{4} << 20;
};

// While it lives, the calling thread creates files as, and is checked as,
// the account's owner (setfsuid/setfsgid), when the process runs as root
// and the account names one; otherwise it does nothing. Every public
// operation of the Maildir mailboxes holds one, so root never writes into
// a user's Maildir as root.
class AsOwner {
 public:
  explicit AsOwner(const MaildirAccount& account);
  ~AsOwner();
  AsOwner(const AsOwner&) = delete;
  AsOwner& operator=(const AsOwner&) = delete;

 private:
  bool switched_ = false;
  int old_uid_ = 0, old_gid_ = 0;
};

// The RFC 6154 attributes hostmail keeps ("\\Sent"...): kInvalid for others.
Status check_special_use(const std::vector<std::string>& attributes);

// Folder (on-disk name, ".Sent") -> attributes. `exists` false when the
// file is not there (a new account).
struct SpecialUse {
  bool exists = false;
  std::map<std::string, std::vector<std::string>> by_folder;
};
Result<SpecialUse> read_special_use(const MaildirAccount& account);

// Changes the subscriptions and special-use attributes under the account's
// lock: `change` gets both as on disk and may edit them; whatever it
// changed is written back. Subscriptions are names with '.' between parts
// ("INBOX", "Archive.2024").
struct AccountFiles {
  SpecialUse special_use;
  std::vector<std::string> subscriptions;
};
Status change_account_files(const MaildirAccount& account,
                            const std::function<Status(AccountFiles&)>& change);

Result<std::vector<std::string>> read_subscriptions(const MaildirAccount& account);

// The on-disk folder name of `name` (".A.B"; "" for the INBOX) and its
// subscription name ("A.B"; "INBOX"). The name must have been checked.
std::string folder_dir_name(const FolderName& name);
std::string subscription_name(const FolderName& name);

}  // namespace hm::store::maildir
