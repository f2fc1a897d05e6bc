#include "store/maildir/maildir_store.h"

#include <fcntl.h>

#include "store/mailbox_path.h"
#include "store/maildir/maildir_delivery.h"
#include "store/maildir/maildir_mailboxes.h"

namespace hm::store::maildir {

MaildirStore::MaildirStore(MaildirStoreOptions options) : options_(std::move(options)) {
  if (!options_.virtual_base.empty()) {
    base_.reset(::open(options_.virtual_base.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
}

Result<Location> MaildirStore::virtual_location(std::string_view address,
                                                std::string_view mailbox) const {
  auto path = virtual_maildir_path(options_.virtual_base, address, mailbox);
  if (!path) return fail(std::move(path).error());
  return Location{std::move(*path), options_.virtual_uid, options_.virtual_gid};
}

Result<Location> MaildirStore::local_location(std::string_view home) const {
  auto path = local_maildir_path(home);
  if (!path) return fail(std::move(path).error());
  return Location{std::move(*path), static_cast<uid_t>(-1), static_cast<gid_t>(-1)};
}

std::vector<Result<std::string>> MaildirStore::save(const StoredMessage& message,
                                                    const std::vector<Location>& to) {
  std::vector<MaildirTarget> targets;
  targets.reserve(to.size());
  std::string_view base = options_.virtual_base;
  while (base.size() > 1 && base.back() == '/') base.remove_suffix(1);
  for (const Location& l : to) {
    MaildirTarget t{l.path, l.uid, l.gid};
    // A location below virtual_base is checked for links from there on.
    if (base_.valid() && !base.empty() && l.path.size() > base.size() + 1 &&
        l.path.compare(0, base.size(), base) == 0 && l.path[base.size()] == '/') {
      t.base_fd = base_.get();
      t.relative = l.path.substr(base.size() + 1);
      while (!t.relative.empty() && t.relative.back() == '/') t.relative.pop_back();
    }
    targets.push_back(std::move(t));
  }
  return deliver(message, targets, DeliveryOptions{options_.hostname, options_.fsync});
}

Result<std::unique_ptr<Mailboxes>> MaildirStore::open_mailboxes(const Location& location,
                                                                uint64_t quota_bytes) {
  MaildirAccount account;
  account.root = location.path;
  account.uid = location.uid;
  account.gid = location.gid;
  account.quota_bytes = quota_bytes;
  account.hostname = options_.hostname;
  account.fsync = options_.fsync;
  auto boxes = MaildirMailboxes::open(std::move(account));
  if (!boxes) return fail(boxes.error());
  return std::unique_ptr<Mailboxes>(std::move(*boxes));
}

}  // namespace hm::store::maildir
