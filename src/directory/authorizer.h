#pragma once
// Authorization of administrative operations, one policy for the CLI (run
// with --as) and the web administration:
//
//   - the superuser may do everything;
//   - a postmaster role occupant of a domain may manage accounts, aliases and
//     postmaster roles inside that domain only: never create or delete
//     domains, never touch another domain, never import or export the tree;
//   - any account may see itself and change its own password.
//
// Pure functions: no I/O, thread-safe.

#include <string_view>

#include "base/result.h"
#include "directory/principal.h"

namespace hm::directory {

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
};

std::string_view to_string(Operation op);

// domain: the domain the operation is about ("" for whole-tree operations);
// target: the address it changes, if any. kPermission with a message saying
// who may do it instead.
Status authorize(const Principal& actor, Operation op, std::string_view domain,
                 std::string_view target = {});

}  // namespace hm::directory
