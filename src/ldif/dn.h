#pragma once
// Distinguished names (RFC 4514): "mail=a@b,o=x,o=hosting,dc=myhosting,dc=example".
//
// parse_dn() is liberal in what it reads: spaces around ',' and '=' (the seed
// article writes "o=hosting, dc=myhosting, dc=example"), escapes "\," "\+"
// "\"" "\\" "\<hex><hex>" and the other RFC 4514 specials, and RFC 2253
// quoted values ("o=\"Foo, Inc.\""). It rejects what hostmail cannot use
// faithfully: multi-valued RDNs ("cn=a+sn=b") and BER hex values ("cn=#04..").
// format_dn() writes the canonical, escaped form.
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::ldif {

// One relative distinguished name: "o=domain1.example".
struct Rdn {
  std::string attribute;  // lower-case: "mail", "o", "dc", "cn", or a numeric OID
  std::string value;      // unescaped bytes
  friend bool operator==(const Rdn&, const Rdn&) = default;
};

// Splits a DN into its RDNs, leftmost (most specific) first. The empty DN
// gives no RDNs. Fails with ErrorKind::kInvalid naming the problem and its
// position.
Result<std::vector<Rdn>> parse_dn(std::string_view dn);

// "attr=value,attr=value", values escaped per RFC 4514 section 2.4 (plus
// control characters as \XX), no spaces. parse_dn(format_dn(x)) == x for any
// RDNs whose attribute is a valid lower-case name.
std::string format_dn(const std::vector<Rdn>& rdns);

// A form for comparing DNs: parsed and formatted again, attribute names and
// values lower-cased (ASCII), since every attribute in hostmail's tree (mail,
// o, dc, cn) compares case-insensitively. Input that does not parse comes back
// lower-cased as it is.
std::string normalize_dn(std::string_view dn);

}  // namespace hm::ldif
