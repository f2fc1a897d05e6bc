#include "admin/authorizer.h"

#include <string>

namespace hm::admin {
namespace {

Error denied(const Principal& actor, Operation op, std::string_view domain, std::string why) {
  std::string msg = actor.name + " may not " + std::string(to_string(op));
  if (!domain.empty()) msg += " in " + std::string(domain);
  return Error(ErrorKind::kPermission, msg + ": " + why);
}

}  // namespace

std::string_view to_string(Operation op) {
  switch (op) {
    case Operation::kDomainAdd: return "add domains";
    case Operation::kDomainDelete: return "delete domains";
    case Operation::kDomainList: return "list domains";
    case Operation::kAccountAdd: return "add accounts";
    case Operation::kAccountDelete: return "delete accounts";
    case Operation::kAccountPassword: return "change passwords";
    case Operation::kAccountShow: return "show accounts";
    case Operation::kAccountList: return "list accounts";
    case Operation::kAliasAdd: return "add aliases";
    case Operation::kAliasDelete: return "delete aliases";
    case Operation::kAliasList: return "list aliases";
    case Operation::kPostmasterGrant: return "grant the postmaster role";
    case Operation::kPostmasterRevoke: return "revoke the postmaster role";
    case Operation::kPostmasterList: return "list postmasters";
    case Operation::kTreeImport: return "import the directory";
    case Operation::kTreeExport: return "export the directory";
    case Operation::kQueueList: return "list the queue";
    case Operation::kQueueRetry: return "retry queued mail";
    case Operation::kQueueDelete: return "delete queued mail";
  }
  return "do this";
}

Status authorize(const Principal& actor, Operation op, std::string_view domain,
                 std::string_view target) {
  if (actor.is_superuser()) return ok();

  const bool self = !target.empty() && target == actor.name;
  switch (op) {
    case Operation::kDomainAdd:
    case Operation::kDomainDelete:
    case Operation::kTreeImport:
    case Operation::kTreeExport: return fail(denied(actor, op, {}, "only the superuser can"));

    case Operation::kDomainList:
      // Everyone may list; AdminService shows a postmaster only their domains.
      return ok();

    case Operation::kQueueList:
    case Operation::kQueueRetry:
    case Operation::kQueueDelete:
      // A tenant's view of the queue is the mail of their domains, which
      // AdminService picks out entry by entry; an account that administers
      // no domain has none.
      if (domain.empty()) {
        if (!actor.postmaster_of.empty()) return ok();
        return fail(denied(actor, op, {}, "only the superuser and postmasters can"));
      }
      break;

    case Operation::kAccountPassword:
    case Operation::kAccountShow:
      if (self) return ok();
      break;

    default: break;
  }

  if (domain.empty()) {
    return fail(denied(actor, op, {}, "only the superuser can act on every domain at once"));
  }
  if (!actor.is_postmaster_of(std::string(domain))) {
    return fail(denied(actor, op, domain, "only the superuser and the domain's postmasters can"));
  }
  // A postmaster's reach ends at the domain: the target must be inside it.
  if (!target.empty()) {
    size_t at = target.rfind('@');
    std::string_view target_domain =
        at == std::string_view::npos ? std::string_view{} : target.substr(at + 1);
    if (target_domain != domain) {
      return fail(denied(actor, op, domain,
                         std::string(target) + " is outside the domain " + std::string(domain)));
    }
  }
  return ok();
}

}  // namespace hm::admin
