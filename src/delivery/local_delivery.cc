#include "delivery/local_delivery.h"

#include <unistd.h>

#include <fmt/format.h>

namespace hm::delivery {

Result<std::string> PrivsepLocalDelivery::deliver(const std::string& user,
                                                  const std::string& sender,
                                                  const std::string& recipient,
                                                  std::string_view message) {
  return client_->deliver_local(user, sender, recipient, message);
}

Result<std::string> DirectLocalDelivery::deliver(const std::string& user, const std::string& sender,
                                                 const std::string& recipient,
                                                 std::string_view message) {
  auto account = privsep::lookup_local_user(user);
  if (!account) return fail(std::move(account).error());
  if (account->uid != ::geteuid() && !allow_switch_) {
    return fail(ErrorKind::kTemporary,
                fmt::format("cannot deliver to local user {}: hostmail was not started as root "
                            "and runs as uid {}, so it can only deliver to its own user; start "
                            "`hostmail serve` as root for local delivery to every user",
                            user, ::geteuid()));
  }
  auto fd = privsep::make_sealed_memfd(message);
  if (!fd) return fail(std::move(fd).error());
  privsep::LocalMessage m{*fd, sender, recipient};
  auto result = privsep::deliver_to_local_user(*account, m, settings_);
  ::close(*fd);
  return result;
}

Result<std::string> UnavailableLocalDelivery::deliver(const std::string& user, const std::string&,
                                                      const std::string&, std::string_view) {
  return fail(ErrorKind::kTemporary,
              fmt::format("cannot deliver to local user {}: {}", user, reason_));
}

}  // namespace hm::delivery
