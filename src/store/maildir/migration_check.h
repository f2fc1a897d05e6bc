#pragma once
// What an account's folders would show clients, and where their numbers
// come from, without changing anything: for an administrator verifying a
// migration from Courier or Dovecot before switching the MX (the CLI's
// `hostmail mailbox check`). Unlike opening the folders, it writes no
// hostmail-uidlist and renames no file, so it may run while the old
// server still serves the tree.
//
// Thread-safety: reentrant; reads the folders only.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/maildir/folder_names.h"
#include "store/maildir/foreign_uid_list.h"

namespace hm::store::maildir {

struct FolderCheck {
  FolderName name;  // empty: the INBOX
  size_t messages = 0;
  // nullopt when the folder has no list yet (source kNew): it gets a new
  // one at its first open.
  std::optional<uint32_t> uid_validity;
  uint64_t uid_next = 1;  // as after the first open: unnamed messages counted
  UidSource source = UidSource::kNew;
  size_t dropped = 0;  // entries of the old list the first open would drop
};

// The INBOX, then every folder below the Maildir++ root `root`, sorted.
// A folder whose list cannot be read (damaged) is reported as kNew with a
// warning in the log, as its first open would treat it.
Result<std::vector<FolderCheck>> check_account_folders(const std::string& root);

}  // namespace hm::store::maildir
