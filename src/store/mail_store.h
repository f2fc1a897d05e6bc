#pragma once
// The store: where mail lives and how a message is saved there, for the
// code that delivers (DeliveryAgent, the privileged helper). It knows no
// protocol: SMTP, `hostmail deliver` and the queue runner save through it
// alike, and the IMAP and POP3 sessions of later issues will read through
// it. Maildir++ is its backend (store/maildir/maildir_store.h); a test may
// give a fake.
//
// Shape, and how it grows: a MailStore answers for all accounts; a Location
// names one account's mail (its Maildir++ root, which holds the INBOX and,
// its folders). Saving puts a StoredMessage into the INBOX of one or more
// locations; readers (IMAP, POP3, the admin's quota view) open a Location
// as its Mailboxes (store/mailbox.h).
//
// The rules for where a mailbox lies are store/mailbox_path.h; a MailStore
// applies them with its own configuration (virtual_base, the vmail owner).
//
// Thread-safety: implementations are thread-safe; save() blocks (fsync), so
// call it from a worker pool, never an event loop.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/mailbox.h"
#include "store/stored_message.h"

namespace hm::store {

// Where one account's mail lives.
struct Location {
  std::string path;                    // Maildir++ root, ending in '/'
  uid_t uid = static_cast<uid_t>(-1);  // owner of what is created there; -1: the process's
  gid_t gid = static_cast<gid_t>(-1);
};

class MailStore {
 public:
  virtual ~MailStore() = default;

  // The mail of the virtual account `address`, whose directory entry says
  // `mailbox` (e.g. "example.org/john/"). kInvalid when that path breaks the
  // rule of mailbox_path.h: its mail must then wait, never go elsewhere.
  virtual Result<Location> virtual_location(std::string_view address,
                                            std::string_view mailbox) const = 0;

  // The mail of a local user whose home is `home` (~/Maildir/), created as
  // the process's user (the helper runs this as that user). kInvalid for a
  // home that is not an absolute path of plain names.
  virtual Result<Location> local_location(std::string_view home) const = 0;

  // Saves `message` into the INBOX of every location, durably: an entry is
  // a success only once the message survives a crash there. One entry per
  // location, in order: the message's name in the store, or why that
  // location failed (kTemporary for I/O errors such as ENOSPC,
  // kPermission...). The message is written once where the backend can
  // share it between locations.
  virtual std::vector<Result<std::string>> save(const StoredMessage& message,
                                                const std::vector<Location>& to) = 0;

  // The folders of the account whose mail is at `location`, for readers
  // (store/mailbox.h), under a quota of `quota_bytes` (0: none). The first
  // open of a new account creates its INBOX and the special-use folders
  // Sent, Drafts, Trash, Junk and Archive.
  virtual Result<std::unique_ptr<Mailboxes>> open_mailboxes(const Location& location,
                                                            uint64_t quota_bytes) = 0;
};

}  // namespace hm::store
