#pragma once
// Authentication: the call IMAP, POP3, submission and the admin interfaces
// make to turn a login and a password into a Principal.
//
// A login is the superuser's name ([admin] superuser), a virtual account's
// address, or, when [local] enabled, a shell account's name (checked with
// PAM). Every refusal reaches the caller as the same kAuthFailed error, so a
// client cannot tell an unknown user from a wrong password or a disabled
// account; the reason goes into the error's detail, for the log only.
// Directory outages are kTemporary, never kAuthFailed.
//
// Guessing is throttled (auth/login_throttle.h) per client address and per
// login: past a few failures the next attempts are refused as kTemporary
// ("try again in N seconds") without checking the password at all, so a
// guess made then learns nothing (PAM's own fail delay is off: it would hold
// a worker thread). Shell accounts that are system accounts (root, uids below
// first_valid_uid) never log in, whatever PAM says.
//
// Thread-safe if the Directory is. Blocking: use AsyncDirectory from an event
// loop.

#include <functional>
#include <string>
#include <string_view>

#include "auth/credential_cache.h"
#include "auth/login_throttle.h"
#include "base/result.h"
#include "directory/directory.h"
#include "directory/principal.h"
#include "directory/resolver.h"

namespace hm::directory {

enum class Service { kImap, kPop3, kSmtp, kAdmin };
std::string_view to_string(Service service);

// Checks a shell account's password (PAM in production); Ok(false) = refused.
using LocalPasswordCheck =
    std::function<Result<bool>(std::string_view user, std::string_view password)>;

struct AuthenticatorOptions {
  std::string superuser = "admin";
  std::string superuser_password_hash;  // empty: the superuser cannot log in
  bool local_enabled = false;
  LocalPasswordCheck local_check;  // required when local_enabled
  LocalUserLookup local_user;      // default: system_local_user_lookup()
  uint32_t first_valid_uid = kDefaultFirstValidUid;
  auth::LoginThrottle::Options per_client;  // keyed by the client's address
  // Logins proven against a stored hash are remembered this long (clients
  // log in often, on several connections; a strong hash costs tens of
  // milliseconds): see auth/credential_cache.h. max_entries = 0: never.
  auth::CredentialCache::Options credential_cache;
  // Checks a password against a stored hash; default auth::verify_password.
  // A seam for tests, which count the slow checks.
  std::function<Result<bool>(std::string_view hash, std::string_view password)> verify_hash;
  auth::LoginThrottle::Options per_login = {10, std::chrono::seconds(2), std::chrono::seconds(300),
                                            std::chrono::seconds(900), 100000};
};

class Authenticator {
 public:
  Authenticator(Directory& directory, AuthenticatorOptions options);

  // `client` is the client's IP address ("" when there is none, as for
  // the CLI); it keys the per-client throttle.
  Result<Principal> authenticate(std::string_view login, std::string_view password, Service service,
                                 std::string_view client = {}) const;

  // The principal for a name without checking a password: for the CLI's
  // --as, run by someone who can already read the directory database.
  // kNotFound if the name is neither the superuser nor an account.
  Result<Principal> principal_for(std::string_view name) const;

 private:
  Result<Principal> virtual_principal(const std::string& address) const;
  Result<Principal> check(std::string_view name, std::string_view password, Service service) const;

  Directory& directory_;
  AuthenticatorOptions options_;
  mutable auth::LoginThrottle per_client_;
  mutable auth::LoginThrottle per_login_;
  mutable auth::CredentialCache proven_;
};

}  // namespace hm::directory
