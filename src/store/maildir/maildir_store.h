#pragma once
// MailStore over Maildir++ (store/mail_store.h): locations follow
// store/mailbox_path.h; save() is maildir::deliver (maildir_delivery.h):
// one file written and fsynced, hard-linked into every new/, folders
// fsynced, before it returns.
//
// Thread-safe: its settings are fixed at construction.

#include <string>

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
  explicit MaildirStore(MaildirStoreOptions options) : options_(std::move(options)) {}

  Result<Location> virtual_location(std::string_view address,
                                    std::string_view mailbox) const override;
  Result<Location> local_location(std::string_view home) const override;
  std::vector<Result<std::string>> save(const StoredMessage& message,
                                        const std::vector<Location>& to) override;

 private:
  MaildirStoreOptions options_;
};

}  // namespace hm::store::maildir
