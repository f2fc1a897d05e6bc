#pragma once
// Authorization of administrative operations, one policy for the CLI (run
// with --as) and the web administration:
//
//   - the superuser may do everything;
//   - a postmaster role occupant of a domain may manage accounts, aliases and
//     postmaster roles inside that domain only: never create or delete
//     domains, never touch another domain, never import or export the tree;
//     in the queue, they see and act on the mail of their domains only
//     (admin_queue.h says which mail that is);
//   - any account may see itself and change its own password.
//
// The principal given must be fresh: AdminService re-reads its roles from
// the directory for every operation (admin_service.h).
//
// Pure functions: no I/O, thread-safe.

#include <string_view>

#include "base/result.h"
#include "directory/principal.h"

namespace hm::admin {

using directory::Principal;

enum class Operation {
  kDomainAdd,
  kDomainDelete,
  kDomainList,
  kAccountAdd,
  kAccountDelete,
  kAccountPassword,
  kAccountShow,
  kAccountList,
  kAliasAdd,
  kAliasDelete,
  kAliasList,
  kPostmasterGrant,
  kPostmasterRevoke,
  kPostmasterList,
  kTreeImport,
  kTreeExport,
  kQueueList,
  kQueueRetry,
  kQueueDelete,
};

std::string_view to_string(Operation op);

// domain: the domain the operation is about ("" for whole-tree operations,
// and for the queue, which AdminService narrows to the caller's domains);
// target: the address it changes, if any. kPermission with a message saying
// who may do it instead.
Status authorize(const Principal& actor, Operation op, std::string_view domain,
                 std::string_view target = {});

}  // namespace hm::admin
