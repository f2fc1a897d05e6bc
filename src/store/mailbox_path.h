#pragma once
// Where a mailbox lies: the rules from an account to its Maildir, and the
// checks that keep it there. The one place for them: delivery (through
// MailStore), the privileged helper (a local user's ~/Maildir/) and the
// administration (the mailbox path a new account gets) all ask here.
//
// Virtual accounts:
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
// Local (shell) accounts: ~/Maildir/ of the user's home, which must be an
// absolute path of plain names (from the password database: the
// administrator's, but still checked).
//
// Thread-safety: pure functions, but for mailbox_on_disk (one stat).

#include <string>
#include <string_view>

#include "base/result.h"

namespace hm::store {

// The Maildir path, ending in '/', of the account `address` whose mailbox
// attribute is `mailbox` (e.g. "example.org/john/", the trailing slash
// optional as in the seed's entries). kInvalid naming the rule broken.
Result<std::string> virtual_maildir_path(std::string_view virtual_base, std::string_view address,
                                         std::string_view mailbox);

// The Maildir path, ending in '/', of a local user whose home is `home`:
// "<home>/Maildir/". kInvalid when the home is not absolute or has an empty,
// "." or ".." part or a NUL byte.
Result<std::string> local_maildir_path(std::string_view home);

// The mailbox attribute a new virtual account `local`@`domain` is offered,
// "<domain>/<local>/", or "<domain>/<local>.<generation>/" from generation 2
// on (when the first is retired, in use or on disk: a deleted account's mail
// is never handed to a successor). The local part is kept to characters
// safe in a path (others become '_'; never '/', never a leading '.'), so the
// result always passes virtual_maildir_path.
std::string new_mailbox_attribute(std::string_view domain, std::string_view local, int generation);

// Whether something exists at the mailbox attribute `mailbox` below
// `virtual_base` (mail left by an account deleted outside hostmail). An
// error other than "missing" counts as existing: a path is never reused on
// a guess.
bool mailbox_on_disk(std::string_view virtual_base, std::string_view mailbox);

}  // namespace hm::store
