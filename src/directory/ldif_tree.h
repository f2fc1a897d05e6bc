#pragma once
// The seed's LDAP tree in LDIF, both ways.
//
// Import reads what OpenLDAP sites have: the base (dc=..., o=hosting), one
// organization entry per domain (o=<domain>), the postmaster entry
// (cn=postmaster, organizationalRole + courierMailAlias, whose roleOccupants
// may administer the domain), courierMailAlias and courierMailAccount
// entries, and "changetype: modify" records that add or remove roleOccupant,
// maildrop and other attributes. Records apply in order onto a Snapshot, so a
// modify may refer to an entry of an earlier file (import the seed's three
// files one after the other). The base entries (dc=..., o=hosting) are taken
// as the structure above the domains (export writes them from its base).
// Other entries that are not mail data (the rootdn's organizationalRole, an
// entry outside the tree) are skipped, each with a warning naming its line
// and why, and a file from which nothing was taken is an error: a mangled
// file must not "import" silently. An empty "mail:" (as the seed
// prints it) is taken from the entry's DN. An added entry that exists already
// is replaced by the file's version, so importing a file twice changes nothing.
//
// The list of retired mailboxes (cn=retired-mailboxes, organizationalRole, one
// description per path; inside a domain for its own, under the base for
// those of deleted domains, as the LDAP backend keeps it) goes both ways, so
// that a restored backup still never hands a deleted account's mail to a new
// one. An import only adds to it.
//
// Export writes the same tree under a base DN, with a structural object class
// beside each auxiliary Courier class (inetOrgPerson for accounts, nisMailAlias
// for aliases) so that a current slapd accepts the entries.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "directory/model.h"

namespace hm::directory {

inline constexpr std::string_view kDefaultLdifBase = "o=hosting,dc=myhosting,dc=example";

// What an import did, for the person running it.
struct LdifImportReport {
  size_t applied = 0;  // records taken: mail data, and the base entries above it
  // One per record that was skipped, or whose change found nothing to change:
  // "line N: entry '<dn>' skipped: <why>".
  std::vector<std::string> warnings;
};

// Applies LDIF text to `tree`. kInvalid errors name the line of the record.
Status apply_ldif(std::string_view ldif_text, Snapshot& tree, LdifImportReport* report = nullptr);

// The whole tree as LDIF under `base` (which must be "o=...,dc=..."). The
// schema requires a homeDirectory: accounts without one get `default_home`
// ([storage] virtual_base, as in the seed).
Result<std::string> export_ldif(const Snapshot& tree, std::string_view base,
                                std::string_view default_home);

}  // namespace hm::directory
