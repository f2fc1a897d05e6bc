#pragma once
// The directory's data model: the seed's LDAP tree in C++ types.
//
//   dc=myhosting,dc=example
//     o=hosting                                   (the search base)
//       o=<domain>                                Domain
//         cn=postmaster  organizationalRole +     Alias postmaster@<domain> and
//                        courierMailAlias         the domain's role occupants
//         mail=abuse@<domain>   courierMailAlias  Alias
//         mail=<address>        courierMailAccount Account
//         mail=<address>        courierMailAlias   Alias (mail "@<domain>" is a catch-all)
//
// All addresses held here are normalized (see address.h): domain in lower-case
// A-label form, local part lower-case.

#include <cstdint>
#include <string>
#include <vector>

namespace hm::directory {

struct Domain {
  std::string name;  // A-label, lower-case: "example.org", "xn--bcher-kva.example"
  friend bool operator==(const Domain&, const Domain&) = default;
};

// courierMailAccount: a virtual mail account.
struct Account {
  std::string address;         // mail
  std::string password_hash;   // userPassword, "{SCHEME}..."; empty: cannot log in
  std::string name;            // cn: a display name, may be empty
  std::string home_directory;  // homeDirectory; empty means [storage] virtual_base
  std::string mailbox;         // mailbox, relative to home_directory; ends in '/'
  uint32_t uid_number = 0;     // uidNumber (required by the schema; mail is owned by vmail)
  uint32_t gid_number = 0;     // gidNumber
  uint64_t quota_bytes = 0;    // quota; 0 = no quota
  bool disable_imap = false;   // disableimap
  bool disable_pop3 = false;   // disablepop3
  friend bool operator==(const Account&, const Account&) = default;
};

// courierMailAlias: mail -> maildrops. A maildrop is an address, or a bare
// name that means a local (shell) account of this machine.
struct Alias {
  std::string address;  // "user@domain", or "@domain" for the domain's catch-all
  std::vector<std::string> maildrops;
  friend bool operator==(const Alias&, const Alias&) = default;
};

// The organizationalRole "cn=postmaster" of a domain: who may administer it.
struct PostmasterRole {
  std::string domain;
  std::vector<std::string> occupants;  // account addresses
  friend bool operator==(const PostmasterRole&, const PostmasterRole&) = default;
};

// A whole directory's content, in a canonical order (sorted by name/address,
// maildrops and occupants in stored order). What LDIF import builds and
// export writes; used to compare two directories.
struct Snapshot {
  std::vector<Domain> domains;
  std::vector<Account> accounts;
  std::vector<Alias> aliases;
  std::vector<PostmasterRole> roles;  // only domains with at least one occupant
  // Mailbox paths of deleted accounts, sorted: never to be handed out again
  // (Directory::is_mailbox_retired), so a backup must carry them.
  std::vector<std::string> retired_mailboxes;
  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

}  // namespace hm::directory
