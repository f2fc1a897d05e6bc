#pragma once
// hm::directory::sqlite::SqliteDirectory: the embedded default directory, one
// SQLite file in WAL mode holding the same model as the LDAP tree (see
// model.h and sqlite_schema.h for the tables).
//
// Several processes may open the same file at once (the daemon and the
// `hostmail` CLI): every change runs in a BEGIN IMMEDIATE transaction, and a
// lock held by another process is waited for up to the busy timeout; after
// that the call fails with kTemporary.
//
// Thread-safety: every method may be called from any thread. An object has
// one connection guarded by a mutex, so calls on one object run one at a
// time; they are short (indexed lookups on a local file), which a daemon with
// a small AsyncDirectory pool does not notice. Open several objects for real
// parallelism.
//
// Addresses and domain names are stored exactly as given; callers normalize
// them (address.h). The domain of an address is the part after its last '@';
// "@example.org" is the catch-all alias of example.org. Semantics are those
// of directory.h; the contract tests in tests/unit/directory_backends hold
// this backend and MemoryDirectory to the same behaviour. Beyond directory.h,
// both backends:
//  - refuse malformed input with kInvalid: an empty domain name, an account
//    address without local part or domain, an alias without maildrops;
//  - on delete_domain, treat each account of the domain as delete_account
//    does (mailbox retired, removed from other domains' postmaster roles);
//  - return an empty list from postmasters() of a domain that is not hosted.
// Neither refuses a retired mailbox in add_account: that policy is the
// caller's (AdminService), as is every authorization check.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "directory/directory.h"
#include "directory/sqlite/sqlite_connection.h"

namespace hm::directory::sqlite {

enum class OpenMode {
  kCreateIfMissing,  // `hostmail init`: create the file and the schema if needed
  kMustExist,        // the daemon and the CLI: a missing file is an error
};

class SqliteDirectory final : public Directory {
 public:
  static constexpr std::chrono::milliseconds kDefaultBusyTimeout{5000};

  // Opens (or, with kCreateIfMissing, creates) the database at path, turns on
  // WAL and foreign keys and brings the schema up to date. Errors: kNotFound
  // with a hint to run `hostmail init` when the file is missing (or was never
  // initialised) in kMustExist mode; kInvalid when the schema is newer than
  // this build; kTemporary when the file is locked longer than busy_timeout or
  // cannot be read; kInternal when it is not a directory database.
  static Result<std::unique_ptr<SqliteDirectory>> open(
      const std::string& path, OpenMode mode,
      std::chrono::milliseconds busy_timeout = kDefaultBusyTimeout);

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

  // A lookup reads the local file (WAL mode: it does not wait for the CLI
  // writing in another process).
  bool answers_locally() const override { return true; }
  std::unique_ptr<ReadScope> read_scope() override;
  std::string describe() const override;

 private:
  explicit SqliteDirectory(Connection connection) : connection_(std::move(connection)) {}

  // The helpers below expect mutex_ held (and, for changes, a transaction).
  Result<bool> domain_exists(std::string_view domain);
  Result<bool> account_exists(std::string_view address);
  // kExists when another account already has this account's Maildir.
  Status mailbox_free(const Account& account);
  Result<bool> alias_exists(std::string_view address);
  Status insert_alias(const Alias& alias);

  // Recursive: a read_scope() holds it while the lookups inside take it again.
  std::recursive_mutex mutex_;
  Connection connection_;
};

}  // namespace hm::directory::sqlite
