#pragma once
// A small directory for the policy tests, over the in-memory backend.

#include <gtest/gtest.h>

#include "directory/memory/memory_directory.h"

namespace hm::directory::testing {

inline void must(const Status& s) { ASSERT_TRUE(s.has_value()) << s.error().describe(); }

inline Account account(const std::string& address, const std::string& hash = "") {
  Account a;
  a.address = address;
  a.password_hash = hash;
  size_t at = address.find('@');
  a.mailbox = address.substr(at + 1) + "/" + address.substr(0, at) + "/";
  return a;
}

// domain1.example: user1 (account), postmaster -> local postmaster,
//   abuse -> user1, team -> user1 + user2, user2 (account);
// domain2.example: catch-all -> boss@domain2.example, boss (account).
inline void fill(Directory& d) {
  Actor root{"admin", ""};
  must(d.add_domain(root, {"domain1.example"},
                    {{"postmaster@domain1.example", {"postmaster"}},
                     {"abuse@domain1.example", {"user1@domain1.example"}}}));
  must(d.add_domain(root, {"domain2.example"}, {}));
  must(d.add_account(root, account("user1@domain1.example")));
  must(d.add_account(root, account("user2@domain1.example")));
  must(d.add_account(root, account("boss@domain2.example")));
  must(d.add_alias(root,
                   {"team@domain1.example", {"user1@domain1.example", "user2@domain1.example"}}));
  must(d.add_alias(root, {"@domain2.example", {"boss@domain2.example"}}));
}

}  // namespace hm::directory::testing
