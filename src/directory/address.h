#pragma once
// Mail addresses as the directory stores them.
//
// Normal form: "local@domain" with the domain in lower-case A-label form (an
// IDN "bücher.example" becomes "xn--bcher-kva.example", RFC 5891) and the
// local part lower-cased in ASCII. Lookups are case-insensitive in practice
// (LDAP's mail attribute is, and so is every mail host users meet), so the
// directory stores one form only.

#include <string>
#include <string_view>

#include "base/result.h"
#include "mail/address_syntax.h"

namespace hm::directory {

struct Address {
  std::string local;   // "john", "first.last", "\"odd local\"" (quoted when it must be)
  std::string domain;  // "example.org"
  std::string str() const { return local + "@" + domain; }
};

// A domain name, U-label or A-label, to lower-case A-label form. kInvalid with
// a message saying what is wrong ("label longer than 63 octets", ...).
Result<std::string> normalize_domain(std::string_view domain);

// An RFC 5321 Mailbox (dot-atom or quoted-string local part, domain name;
// UTF-8 local parts as RFC 6531 allows). Address literals ([192.0.2.1]) are
// refused: they cannot be hosted.
Result<Address> parse_address(std::string_view input);
Result<std::string> normalize_address(std::string_view input);

// What an alias may be called: an address, or "@domain" for a catch-all.
Result<std::string> normalize_alias_address(std::string_view input);

// A maildrop: an address, or a bare local account name ("postmaster", "root").
Result<std::string> normalize_maildrop(std::string_view input);

// A local (shell) account name, POSIX portable: [a-z_][a-z0-9_.-]*, at most 32.
bool is_local_name(std::string_view name);

// The part after the last '@' ("" if none), and the part before it
// (mail/address_syntax.h).
using mail::domain_of;
using mail::local_part_of;

}  // namespace hm::directory
