#pragma once
// Courier-IMAP's account files that hostmail reads in place when a site
// moves from Courier (docs/store-format.md, "Migrating from Courier and
// Dovecot"); they are never written or removed, so the site can switch back.
//
//   courierimapsubscribed  the subscriptions, one name per line as Courier's
//                          clients saw them: "INBOX" and "INBOX.<folder>"
//   courierimapacl         per-folder ACLs: hostmail has none, so a folder's
//                          file is only reported (logged) and ignored
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

namespace hm::store::maildir {

inline constexpr const char* kCourierSubscribedName = "courierimapsubscribed";
inline constexpr const char* kCourierAclName = "courierimapacl";

// The subscriptions of Courier's file in hostmail's form ("INBOX", "A.B"):
// the "INBOX." prefix of Courier's private namespace is taken off, so they
// follow hostmail's namespace setting like any other. Names outside it
// (Courier's shared folders, which hostmail does not have) are left out,
// each adding a line to `skipped`.
std::vector<std::string> parse_courier_subscriptions(std::string_view text,
                                                     std::vector<std::string>& skipped);

}  // namespace hm::store::maildir
