#pragma once
// homeDirectory against [storage] virtual_base.
//
// hostmail delivers a virtual account's mail to <virtual_base>/<mailbox> and
// does not use the account's homeDirectory (the seed's entries say
// /home/vmail/domains; the schema requires the attribute). A site that keeps
// its old IMAP server (Courier reads homeDirectory + mailbox) while it
// switches must have both name the same folder, or the two servers see two
// different Maildirs. hostmail does not guess which one is meant: it says so,
// in check-config, once in the serve log, at `ldif import` and in
// `account show` (docs/ldap.md, "homeDirectory").
//
// Thread-safety: pure functions, and find_home_mismatches only calls the
// (thread-safe) Directory.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "directory/directory.h"
#include "directory/model.h"

namespace hm::directory {

// True when the account names a homeDirectory that is not virtual_base
// (compared as paths: "/a/b/" equals "/a/b"). An empty one means
// virtual_base; an empty virtual_base compares with nothing.
bool home_differs(const Account& account, std::string_view virtual_base);

struct HomeMismatches {
  size_t count = 0;               // accounts whose homeDirectory differs
  std::vector<Account> examples;  // the first few of them
};

// Collects the accounts whose homeDirectory differs, listing every account.
HomeMismatches home_mismatches(const std::vector<Account>& accounts, std::string_view virtual_base);
Result<HomeMismatches> find_home_mismatches(Directory& directory, std::string_view virtual_base);

// One sentence for a person: how many, an example, what hostmail does and
// what to change. Empty when count is 0.
std::string describe(const HomeMismatches& found, std::string_view virtual_base);

}  // namespace hm::directory
