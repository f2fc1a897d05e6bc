#pragma once
// Where a virtual account's Maildir lies, and the rule that keeps it there.
//
// The directory's `mailbox` attribute is data that a tenant may be able to
// influence (through a delegated LDAP ACL, an LDIF import, an old Courier
// tree), so it is never trusted as a path: a virtual account's Maildir must
// lie inside <virtual_base>/<the account's own domain>/, strictly below that
// folder (never the base or the domain folder itself), reached by plain
// names only: no absolute path, no "." or ".." part, no empty part, no part
// that starts with '.' (Maildir++ keeps its folders under such names). Only
// then can one domain's postmaster never point an account at another
// domain's mail. Uniqueness among accounts is the directory's to keep (a
// UNIQUE column in SQLite, slapd's `unique` overlay for LDAP).
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>

#include "base/result.h"

namespace hm::store {

// The Maildir path, ending in '/', of the account `address` whose mailbox
// attribute is `mailbox` (e.g. "example.org/john/", the trailing slash
// optional as in the seed's entries). kInvalid naming the rule broken.
Result<std::string> virtual_maildir_path(std::string_view virtual_base, std::string_view address,
                                         std::string_view mailbox);

}  // namespace hm::store
