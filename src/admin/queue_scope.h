#pragma once
// Which queued mail belongs to a domain's postmaster (a tenant): the rule
// AdminService applies to `queue list|retry|delete` for anyone but the
// superuser, who sees the whole queue.
//
//   - A recipient is the tenant's when its RCPT address (`original`) or its
//     destination after aliases (`address`) is in one of their domains.
//   - An entry is from the tenant when its envelope sender is in one of
//     their domains. They see it whole: every recipient is also named in
//     the bounce that sender would get.
//   - Otherwise they see an entry only if one of its recipients is theirs,
//     and then only those recipients: another domain's addresses stay out
//     of reach.
//   - Deleting removes the whole entry, so a tenant may delete only mail
//     from their domains, or mail whose recipients with work left (pending,
//     deferred, failed and not yet bounced) are all theirs; never mail that
//     other domains are still waiting for. Retrying only moves
//     the next attempt earlier, so any entry they see may be retried.
//
// Domains compare without regard to ASCII case (a sender's domain is kept
// as the client wrote it). Pure functions: thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "queue/queue.h"

namespace hm::admin {

// The entry as a postmaster of `domains` sees it; nullopt when none of it
// is theirs.
std::optional<queue::QueueEntry> tenant_view(const queue::QueueEntry& entry,
                                             const std::vector<std::string>& domains);

// Whether a postmaster of `domains` may delete the entry.
bool tenant_may_delete(const queue::QueueEntry& entry, const std::vector<std::string>& domains);

}  // namespace hm::admin
