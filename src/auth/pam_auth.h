#pragma once
// Password check of a local (shell) account through PAM, as the seed's
// Courier setup does with authpam: pam_authenticate, then pam_acct_mgmt so
// that an expired or locked account is refused even with the right password.
//
// Privilege: pam_unix reads /etc/shadow, so checking another user's password
// needs root. Without root, pam_unix falls back to its unix_chkpwd helper,
// which only checks the calling user's own password; everyone else then
// comes back Ok(false). The daemon runs as vmail, so the privileged helper
// (a later issue) is the one that calls this.
//
// Thread-safety: each call has its own PAM handle; safe to call from several
// threads as far as the configured PAM modules are (pam_unix is). A call
// blocks (files, maybe the network for pam_ldap/pam_sss): run it off the I/O
// threads.
//
// Failure delay: PAM modules ask for a pause after a failed attempt
// (pam_unix 2 s, pam_faildelay). We take that pause over and do not sleep,
// so a blocked worker is never the brake; the caller applies hostmail's own
// failure delay without holding a thread.

#include <string_view>

#include "base/result.h"

namespace hm::auth {

// Checks `password` for `user` with the PAM stack of `service` (a file in
// /etc/pam.d; a missing one falls back to "other").
// Ok(true): authenticated and the account is usable.
// Ok(false): wrong password, unknown user, account expired, locked, or its
//   password must be changed first.
// Errors: kInvalid when an argument holds a NUL byte; kTemporary when PAM
// cannot decide now (PAM_AUTHINFO_UNAVAIL, a module or system error).
Result<bool> pam_check_password(std::string_view service, std::string_view user,
                                std::string_view password);

}  // namespace hm::auth
