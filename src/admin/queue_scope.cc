#include "admin/queue_scope.h"

#include <algorithm>

#include "base/strings.h"
#include "directory/address.h"

namespace hm::admin {
namespace {

// A bare local name (no '@') and the null sender are in no domain.
bool in_domains(std::string_view address, const std::vector<std::string>& domains) {
  if (address.find('@') == std::string_view::npos) return false;
  std::string_view domain = directory::domain_of(address);
  return std::any_of(domains.begin(), domains.end(),
                     [&](const std::string& d) { return iequals(d, domain); });
}

bool is_theirs(const queue::QueuedRecipient& r, const std::vector<std::string>& domains) {
  return in_domains(r.original, domains) || in_domains(r.address, domains);
}

}  // namespace

std::optional<queue::QueueEntry> tenant_view(const queue::QueueEntry& entry,
                                             const std::vector<std::string>& domains) {
  if (in_domains(entry.sender, domains)) return entry;
  queue::QueueEntry view = entry;
  std::erase_if(view.recipients,
                [&](const queue::QueuedRecipient& r) { return !is_theirs(r, domains); });
  if (view.recipients.empty()) return std::nullopt;
  return view;
}

bool tenant_may_delete(const queue::QueueEntry& entry, const std::vector<std::string>& domains) {
  if (in_domains(entry.sender, domains)) return true;
  if (!tenant_view(entry, domains)) return false;
  // A recipient already delivered (or bounced) loses nothing.
  return std::all_of(entry.recipients.begin(), entry.recipients.end(),
                     [&](const queue::QueuedRecipient& r) {
                       return is_theirs(r, domains) || !queue::Queue::has_work({r});
                     });
}

}  // namespace hm::admin
