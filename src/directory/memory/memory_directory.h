#pragma once
// hm::directory::memory::MemoryDirectory: a Directory held in std::maps, for
// tests of everything above the Directory interface (resolver,
// administration, sessions). It has the semantics of SqliteDirectory, which the contract
// tests in tests/unit/directory_backends check for both; nothing is kept
// once the object is gone.
// See sqlite_directory.h for what both do beyond directory.h.
//
// Thread-safety: every method may be called from any thread; one mutex
// serializes them, so each change is atomic as directory.h requires.
//
// set_unavailable(true) makes every call fail with kTemporary, so that tests
// can see how callers treat a directory that is down.

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "directory/directory.h"

namespace hm::directory::memory {

class MemoryDirectory : public Directory {
 public:
  MemoryDirectory() = default;

  // Test hook: while true, every method returns kTemporary and changes nothing.
  void set_unavailable(bool unavailable) { unavailable_ = unavailable; }

  Result<std::optional<Domain>> find_domain(std::string_view domain) override;
  Result<std::optional<Account>> find_account(std::string_view address) override;
  Result<std::optional<Alias>> find_alias(std::string_view address) override;
  Result<std::vector<std::string>> postmasters(std::string_view domain) override;
  Result<std::vector<std::string>> domains_administered_by(std::string_view address) override;

  Result<std::vector<Domain>> list_domains() override;
  Result<std::vector<Account>> list_accounts(std::string_view domain) override;
  Result<std::vector<Alias>> list_aliases(std::string_view domain) override;

  Status add_domain(const Actor& actor, const Domain& domain,
                    const std::vector<Alias>& initial_aliases) override;
  Status delete_domain(const Actor& actor, std::string_view domain) override;
  Status add_account(const Actor& actor, const Account& account) override;
  Status update_account(const Actor& actor, const Account& account) override;
  Status delete_account(const Actor& actor, std::string_view address) override;
  Result<bool> is_mailbox_retired(std::string_view mailbox) override;
  Result<std::optional<std::vector<std::string>>> list_retired_mailboxes() override;
  Status retire_mailboxes(const Actor& actor, const std::vector<std::string>& mailboxes) override;
  Status add_alias(const Actor& actor, const Alias& alias) override;
  Status delete_alias(const Actor& actor, std::string_view address,
                      std::string_view maildrop) override;
  Status grant_postmaster(const Actor& actor, std::string_view domain,
                          std::string_view address) override;
  Status revoke_postmaster(const Actor& actor, std::string_view domain,
                           std::string_view address) override;

  bool answers_locally() const override { return true; }
  std::string describe() const override { return "memory"; }

 private:
  template <typename V>
  using Map = std::map<std::string, V, std::less<>>;

  // The whole content. Single-step changes check first and then apply;
  // add_domain, which may fail at any of its aliases, works on a copy and
  // swaps it in on success.
  struct State {
    std::set<std::string, std::less<>> domains;
    Map<Account> accounts;                      // by address
    Map<std::vector<std::string>> aliases;      // address -> maildrops, in order
    Map<std::vector<std::string>> postmasters;  // domain -> occupants, in order
    Map<std::string> retired_mailboxes;         // mailbox -> address of its last owner
  };

  // kTemporary while set_unavailable(true) is in effect.
  Status available() const;
  // kExists when another account already has this account's Maildir. Called
  // with mutex_ held.
  Status mailbox_free(const Account& account) const;
  // Adds alias to state with the checks of add_alias.
  static Status insert_alias(State& state, const Alias& alias);
  // Removes an account as delete_account does; it must exist.
  static void remove_account(State& state, const std::string& address);

  std::mutex mutex_;
  std::atomic<bool> unavailable_ = false;
  State state_;
};

}  // namespace hm::directory::memory
