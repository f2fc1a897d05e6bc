#pragma once
// Recipient resolution: the one call SMTP makes for every RCPT, and the
// delivery agent for every message. Turns an address into its final
// destinations, following aliases the way the seed's Postfix maps do:
//
//   1. an alias with exactly this address (virtual_alias_maps);
//   2. an account with exactly this address (virtual_mailbox_maps);
//   3. the same two with the "+tag" removed from the local part;
//   4. for a local domain ([server] hostname), a shell account of this machine;
//   5. the domain's catch-all alias "@domain" — only now, so that an existing
//      account always beats the catch-all (the seed's accountsmap rule);
//   6. postmaster@<any hosted domain> even when nothing else matched.
// An alias's maildrops are resolved again (multi-level aliases) with a loop
// check along each path and a depth limit; a maildrop in a domain we do not
// host is an external destination (to be relayed).
//
// A bare name (a maildrop such as the seed's "postmaster", or the local part
// in a local domain) is looked up in the system aliases first (aliases(5),
// system_aliases.h), then as a shell account. A shell account receives mail
// itself only when local delivery is on and it is no system account (uid
// below first_valid_uid, and root always, as Postfix's virtual_minimum_uid
// and Dovecot's first_valid_uid): nothing is ever written or run with a
// system account's uid. Their mail reaches a person only through a system
// alias; otherwise the name is a dead end, refused at RCPT.
//
// Mail for postmaster (bare, or postmaster@/abuse@ of a hosted domain) must
// reach somebody (RFC 5321 4.5.1): when its path leads nowhere it goes to
// postmaster_address; without one it is refused with a temporary error
// that names the setting, so the sender retries and nothing is accepted
// only to vanish.
//
// Thread-safe if the Directory is. Blocking: call through AsyncDirectory
// from an event loop.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "directory/directory.h"
#include "directory/system_aliases.h"

namespace hm::directory {

struct Destination {
  enum class Kind {
    kVirtual,   // a virtual account's Maildir
    kLocal,     // a shell account of this machine (~user/Maildir or mailbox_command)
    kExternal,  // an address elsewhere: goes to the outbound queue
  };
  Kind kind = Kind::kVirtual;
  std::string address;         // kVirtual/kExternal: the address; kLocal: the user name
  std::string home_directory;  // kVirtual: the account's homeDirectory ("" = virtual_base)
  std::string mailbox;         // kVirtual: the account's mailbox, ends in '/'
  uint64_t quota_bytes = 0;    // kVirtual: the account's quota; 0 = none
  friend bool operator==(const Destination&, const Destination&) = default;
};

struct Resolution {
  std::string address;  // the normalized address that was asked for
  bool hosted = true;   // false: not one of our domains (SMTP decides about relaying)
  std::vector<Destination> destinations;  // no duplicates, in expansion order
  // Maildrops of aliases that lead nowhere (an unknown address in a hosted
  // domain). The message still goes to the other destinations; these deserve
  // a bounce to the sender and a line in the log.
  std::vector<std::string> dead_ends;
};

// A shell account of this machine, as far as the resolver needs it.
struct LocalUser {
  uint32_t uid = 0;
};
// The shell account of this name, if any (getpwnam); replaceable in tests.
using LocalUserLookup = std::function<Result<std::optional<LocalUser>>(std::string_view name)>;
LocalUserLookup system_local_user_lookup();

// Shell accounts with a uid below this are system accounts (Debian's
// UID_MIN); root is one whatever this says.
inline constexpr uint32_t kDefaultFirstValidUid = 1000;
// Whether a shell account may receive mail or log in itself.
bool is_system_account(const LocalUser& user, uint32_t first_valid_uid);

struct ResolverOptions {
  std::string recipient_delimiter = "+";           // each character is a delimiter; "" disables
  unsigned max_depth = 20;                         // alias nesting
  unsigned max_destinations = 1000;                // after expansion
  bool local_enabled = false;                      // shell accounts receive mail
  std::vector<std::string> local_domains;          // domains whose local parts are shell accounts
  std::string postmaster_maildrop = "postmaster";  // for postmaster@<hosted> without an entry
  LocalUserLookup local_user;                      // default: system_local_user_lookup()
  uint32_t first_valid_uid = kDefaultFirstValidUid;
  SystemAliases system_aliases;    // [local] aliases: local names -> names or addresses
  std::string postmaster_address;  // [server] postmaster_address; "" = none
};

class Resolver {
 public:
  Resolver(Directory& directory, ResolverOptions options);

  // Errors: kInvalid (not an address), kNotFound (hosted domain, no such
  // user: SMTP 550 5.1.1), kLoop (alias loop or depth: 550 5.4.6),
  // kLimit (too many destinations), kTemporary (directory down: 451 4.3.0).
  // A bare "postmaster" (RFC 5321 4.5.1) resolves to the postmaster maildrop.
  Result<Resolution> resolve(std::string_view address) const;

 private:
  struct Walk;
  Status expand_address(const std::string& address, Walk& walk) const;
  Status expand_maildrop(const std::string& maildrop, Walk& walk) const;
  // A bare name: system alias, or a shell account that may receive mail.
  // False when it leads nowhere (the caller records the dead end).
  Result<bool> expand_local_name(const std::string& name, Walk& walk) const;
  // kLoop when `name` (an address or a local name) is already on the walk's
  // path, or the path is as deep as max_depth allows.
  Status may_enter(const std::string& name, const Walk& walk) const;
  // Whether `address` (as asked) is one whose mail must reach a person.
  bool is_postmaster_address(std::string_view address) const;
  Status add_destination(Destination d, Walk& walk) const;
  bool is_local_domain(std::string_view domain) const;

  Directory& directory_;
  ResolverOptions options_;
};

}  // namespace hm::directory
