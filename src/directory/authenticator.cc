#include "directory/authenticator.h"

#include "auth/password_scheme.h"
#include "base/log.h"
#include "base/strings.h"
#include "directory/address.h"

namespace hm::directory {
namespace {

Error refused(std::string detail) {
  return Error(ErrorKind::kAuthFailed, "authentication failed", std::move(detail));
}

// A hash of the default scheme that no password matches, verified when there
// is no stored hash to verify (no such account, none set), so that such a
// refusal takes as long as a wrong password: the reply's timing must not tell
// an attacker which addresses have accounts. Made once, on first need.
const std::string& decoy_hash() {
  static const std::string hash = [] {
    auto h =
        auth::hash_password("hostmail decoy: no account has this password", auth::default_scheme());
    return h ? *h : std::string();
  }();
  return hash;
}

void spend_a_verification(std::string_view password) {
  if (!decoy_hash().empty()) (void)auth::verify_password(decoy_hash(), password);
}

}  // namespace

std::string_view to_string(Service service) {
  switch (service) {
    case Service::kImap: return "imap";
    case Service::kPop3: return "pop3";
    case Service::kSmtp: return "smtp";
    case Service::kAdmin: return "admin";
  }
  return "unknown";
}

Authenticator::Authenticator(Directory& directory, AuthenticatorOptions options)
    : directory_(directory),
      options_(std::move(options)),
      per_client_(options_.per_client),
      per_login_(options_.per_login),
      proven_(options_.credential_cache) {
  if (!options_.local_user) options_.local_user = system_local_user_lookup();
  if (!options_.verify_hash) {
    options_.verify_hash = [](std::string_view hash, std::string_view password) {
      return auth::verify_password(hash, password);
    };
  }
}

Result<Principal> Authenticator::virtual_principal(const std::string& address) const {
  Principal p;
  p.kind = Principal::Kind::kVirtual;
  p.name = address;
  auto domains = directory_.domains_administered_by(address);
  if (!domains) return fail(std::move(domains).error());
  p.postmaster_of = std::move(*domains);
  return p;
}

Result<Principal> Authenticator::authenticate(std::string_view login, std::string_view password,
                                              Service service, std::string_view client) const {
  std::string_view name = trim(login);
  if (name.empty() || password.empty()) return fail(refused("empty login or password"));
  const std::string login_key = ascii_lower(name);
  const auto now = auth::LoginThrottle::Clock::now();
  auto wait = per_login_.wait(login_key, now);
  if (!client.empty()) wait = std::max(wait, per_client_.wait(client, now));
  if (wait.count() > 0) {
    return fail(ErrorKind::kTemporary,
                "too many failed logins; try again in " + std::to_string(wait.count()) + " seconds",
                "throttled: login " + login_key + " from [" + std::string(client) + "]");
  }
  auto result = check(name, password, service);
  if (result) {
    per_login_.succeeded(login_key);
  } else if (result.error().kind() == ErrorKind::kAuthFailed) {
    per_login_.failed(login_key, now);
    if (!client.empty()) per_client_.failed(client, now);
  }
  return result;
}

Result<Principal> Authenticator::check(std::string_view name, std::string_view password,
                                       Service service) const {
  if (name == options_.superuser) {
    if (options_.superuser_password_hash.empty()) {
      return fail(
          refused("superuser has no password hash configured ([admin] "
                  "superuser_password_hash)"));
    }
    auto good = auth::verify_password(options_.superuser_password_hash, password);
    if (!good) return fail(refused("superuser hash unusable: " + good.error().message()));
    if (!*good) return fail(refused("wrong password for superuser"));
    Principal p;
    p.kind = Principal::Kind::kSuperuser;
    p.name = std::string(name);
    return p;
  }

  if (name.find('@') == std::string_view::npos) {
    if (!options_.local_enabled || !options_.local_check) {
      return fail(refused("local login '" + std::string(name) + "' but [local] is disabled"));
    }
    // System accounts never log in: no password of theirs is ever checked,
    // so no protocol becomes a root-password oracle.
    auto user = options_.local_user(name);
    if (!user) return fail(std::move(user).error());
    if (!user->has_value()) {
      spend_a_verification(password);
      return fail(refused("no shell account " + std::string(name)));
    }
    if (is_system_account(**user, options_.first_valid_uid)) {
      spend_a_verification(password);
      return fail(refused("system account " + std::string(name) + " (uid " +
                          std::to_string((*user)->uid) + ") may not log in"));
    }
    auto good = options_.local_check(name, password);
    if (!good) return fail(std::move(good).error());
    if (!*good) return fail(refused("PAM refused local user " + std::string(name)));
    Principal p;
    p.kind = Principal::Kind::kLocal;
    p.name = std::string(name);
    return p;
  }

  auto address = normalize_address(name);
  if (!address) return fail(refused("login is not an address: " + std::string(name)));
  auto account = directory_.find_account(*address);
  if (!account) return fail(std::move(account).error());
  if (!account->has_value()) {
    spend_a_verification(password);
    return fail(refused("no such account " + *address));
  }
  const Account& a = **account;

  // The password first, the service switches after: a disabled service is
  // then refused no faster than a wrong password.
  if (directory_.verifies_passwords()) {
    auto good = directory_.verify_password(*address, password);
    if (!good) return fail(std::move(good).error());
    if (!*good) return fail(refused("directory refused the password of " + *address));
  } else {
    if (a.password_hash.empty()) {
      spend_a_verification(password);
      return fail(refused(*address + " has no password set"));
    }
    // The account was looked up just now (a deleted one is refused above);
    // its stored hash is the cached proof's version, so a new password, or
    // a new hash of it, is checked the slow way again.
    const auto now = auth::CredentialCache::Clock::now();
    if (!proven_.verified(*address, password, a.password_hash, now)) {
      auto good = options_.verify_hash(a.password_hash, password);
      if (!good) {
        return fail(refused("stored hash of " + *address + " unusable: " + good.error().message()));
      }
      if (!*good) return fail(refused("wrong password for " + *address));
      proven_.remember(*address, password, a.password_hash, now);
    }
  }
  if (service == Service::kImap && a.disable_imap) {
    return fail(refused("IMAP disabled for " + *address));
  }
  if (service == Service::kPop3 && a.disable_pop3) {
    return fail(refused("POP3 disabled for " + *address));
  }
  return virtual_principal(*address);
}

Result<Principal> Authenticator::principal_for(std::string_view name) const {
  std::string_view n = trim(name);
  if (n == options_.superuser) {
    Principal p;
    p.kind = Principal::Kind::kSuperuser;
    p.name = std::string(n);
    return p;
  }
  auto address = normalize_address(n);
  if (!address) {
    return fail(ErrorKind::kNotFound,
                "'" + std::string(n) + "' is neither the superuser nor an account address");
  }
  auto account = directory_.find_account(*address);
  if (!account) return fail(std::move(account).error());
  if (!account->has_value()) {
    return fail(ErrorKind::kNotFound, "there is no account " + *address);
  }
  return virtual_principal(*address);
}

}  // namespace hm::directory
