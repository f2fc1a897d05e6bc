// AdminService: the queue operations (`hostmail queue list|retry|delete`),
// with the tenant rule of queue_scope.h.

#include "admin/admin_service.h"
#include "admin/queue_scope.h"

namespace hm::admin {
namespace {

Error not_in_queue(const std::string& id) {
  // The queue's own words: a tenant cannot tell another domain's mail from
  // mail that is not there.
  return Error(ErrorKind::kNotFound, "no message " + id + " in the queue");
}

// The entry `id`, whole, when a (non-superuser) principal sees it.
Result<queue::QueueEntry> visible_entry(queue::Queue& queue, const Principal& principal,
                                        const std::string& id) {
  auto entry = queue.get(id);
  if (!entry) return fail(std::move(entry).error());
  auto view = tenant_view(*entry, principal.postmaster_of);
  if (!view) return fail(not_in_queue(id));
  return *entry;
}

}  // namespace

Result<std::vector<queue::QueueEntry>> AdminService::list_queue() {
  auto who = principal();
  if (!who) return fail(std::move(who).error());
  HM_TRY(authorize(*who, Operation::kQueueList, ""));
  auto q = resources_.queue();
  if (!q) return fail(std::move(q).error());
  auto entries = (*q)->list();
  if (!entries || who->is_superuser()) return entries;
  std::vector<queue::QueueEntry> out;
  for (const queue::QueueEntry& e : *entries) {
    if (auto view = tenant_view(e, who->postmaster_of)) out.push_back(std::move(*view));
  }
  return out;
}

Status AdminService::retry_queued(const std::string& id) {
  auto who = principal();
  if (!who) return fail(std::move(who).error());
  HM_TRY(authorize(*who, Operation::kQueueRetry, ""));
  auto q = resources_.queue();
  if (!q) return fail(std::move(q).error());
  if (who->is_superuser()) return (*q)->retry_now(id);
  if (!id.empty()) {
    HM_TRY(visible_entry(**q, *who, id));
    return (*q)->retry_now(id);
  }
  auto entries = (*q)->list();
  if (!entries) return fail(std::move(entries).error());
  for (const queue::QueueEntry& e : *entries) {
    if (!tenant_view(e, who->postmaster_of)) continue;
    Status s = (*q)->retry_now(e.id);
    // Delivered or deleted since the listing: nothing left to retry.
    if (!s && s.error().kind() != ErrorKind::kNotFound) return s;
  }
  return ok();
}

Status AdminService::delete_queued(const std::string& id) {
  auto who = principal();
  if (!who) return fail(std::move(who).error());
  HM_TRY(authorize(*who, Operation::kQueueDelete, ""));
  auto q = resources_.queue();
  if (!q) return fail(std::move(q).error());
  if (!who->is_superuser()) {
    auto entry = visible_entry(**q, *who, id);
    if (!entry) return fail(std::move(entry).error());
    if (!tenant_may_delete(*entry, who->postmaster_of)) {
      return fail(ErrorKind::kPermission,
                  who->name + " may not delete message " + id +
                      ": it is also for recipients outside their domains; only the superuser "
                      "can delete it");
    }
  }
  // A tenant's check and the removal are two steps: the daemon may deliver
  // meanwhile, which only ever takes recipients away.
  return (*q)->remove(id);
}

}  // namespace hm::admin
