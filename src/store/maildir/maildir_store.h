#pragma once
// MailStore over Maildir++ (store/mail_store.h): locations follow
// store/mailbox_path.h; save() is maildir::deliver (maildir_delivery.h):
// one file written and fsynced, hard-linked into every new/, folders
// fsynced, before it returns. Below virtual_base (opened once, at
// construction, following a link there: the administrator's choice) a
// virtual account's Maildir is never reached through a symbolic link: such
// a delivery fails (kPermission) and leaves nothing.
//
// Thread-safe: its settings are fixed at construction.

#include <string>

#include "base/unique_fd.h"
#include "store/mail_store.h"

namespace hm::store::maildir {

struct MaildirStoreOptions {
  std::string virtual_base;  // [storage] virtual_base
  std::string hostname;      // in the file names
  // Owner of virtual accounts' Maildirs (vmail), when running as root.
  uid_t virtual_uid = static_cast<uid_t>(-1);
  gid_t virtual_gid = static_cast<gid_t>(-1);
  bool fsync = true;  // false only for tests and benchmarks that say so
};

class MaildirStore final : public MailStore {
 public:
  explicit MaildirStore(MaildirStoreOptions options);

  Result<Location> virtual_location(std::string_view address,
                                    std::string_view mailbox) const override;
  Result<Location> local_location(std::string_view home) const override;
  std::vector<Result<std::string>> save(const StoredMessage& message,
                                        const std::vector<Location>& to) override;
  Result<std::unique_ptr<Mailboxes>> open_mailboxes(const Location& location,
                                                    uint64_t quota_bytes) override;

 private:
  MaildirStoreOptions options_;
  UniqueFd base_;  // virtual_base (O_PATH); invalid when it did not exist yet
};

}  // namespace hm::store::maildir
