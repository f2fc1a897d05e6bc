#include "store/maildir/maildir_store.h"

#include "store/mailbox_path.h"
#include "store/maildir/maildir_delivery.h"

namespace hm::store::maildir {

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
  for (const Location& l : to) targets.push_back({l.path, l.uid, l.gid});
  return deliver(message, targets, DeliveryOptions{options_.hostname, options_.fsync});
}

}  // namespace hm::store::maildir
