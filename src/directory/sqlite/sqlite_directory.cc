#include "directory/sqlite/sqlite_directory.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <bit>
#include <cerrno>

#include "base/log.h"
#include "directory/backend_rules.h"
#include "directory/sqlite/sqlite_schema.h"

namespace hm::directory::sqlite {
namespace {

using rules::account_is_alias;
using rules::alias_is_account;
using rules::check_account_address;
using rules::check_alias;
using rules::check_domain_name;
using rules::domain_of;
using rules::mailbox_key;
using rules::mailbox_taken;
using rules::not_hosted;

constexpr const char* kAccountColumns =
    "address, password_hash, name, home_directory, mailbox, uid_number, gid_number, "
    "quota_bytes, disable_imap, disable_pop3";

Account read_account(const Query& row) {
  Account account;
  account.address = row.text(0);
  account.password_hash = row.text(1);
  account.name = row.text(2);
  account.home_directory = row.text(3);
  account.mailbox = row.text(4);
  account.uid_number = static_cast<uint32_t>(row.integer(5));
  account.gid_number = static_cast<uint32_t>(row.integer(6));
  account.quota_bytes = std::bit_cast<uint64_t>(row.integer(7));
  account.disable_imap = row.integer(8) != 0;
  account.disable_pop3 = row.integer(9) != 0;
  return account;
}

// Binds the attributes that update_account replaces, in kAccountColumns order
// after the address.
void bind_account_attributes(Query& query, const Account& account) {
  query.bind(account.password_hash)
      .bind(account.name)
      .bind(account.home_directory)
      .bind(account.mailbox)
      .bind(static_cast<int64_t>(account.uid_number))
      .bind(static_cast<int64_t>(account.gid_number))
      .bind(std::bit_cast<int64_t>(account.quota_bytes))
      .bind(static_cast<int64_t>(account.disable_imap))
      .bind(static_cast<int64_t>(account.disable_pop3));
}

// Collects the rows of "SELECT address, maildrop ... ORDER BY address,
// position" into aliases.
Result<std::vector<Alias>> read_aliases(Query& query) {
  std::vector<Alias> aliases;
  for (;;) {
    auto row = query.step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return aliases;
    std::string address = query.text(0);
    if (aliases.empty() || aliases.back().address != address) {
      aliases.push_back(Alias{std::move(address), {}});
    }
    aliases.back().maildrops.push_back(query.text(1));
  }
}

Result<std::vector<std::string>> read_strings(Query& query) {
  std::vector<std::string> values;
  for (;;) {
    auto row = query.step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return values;
    values.push_back(query.text(0));
  }
}

// Ok(true) if the query returns a row.
Result<bool> has_row(Result<Query> query) {
  if (!query) return fail(std::move(query).error());
  return query->step();
}

}  // namespace

Result<std::unique_ptr<SqliteDirectory>> SqliteDirectory::open(
    const std::string& path, OpenMode mode, std::chrono::milliseconds busy_timeout) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (mode == OpenMode::kCreateIfMissing) {
    flags |= SQLITE_OPEN_CREATE;
  } else {
    // Checked here rather than from SQLITE_CANTOPEN, which also means "no
    // permission" and would give a misleading hint.
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
      return fail(ErrorKind::kNotFound,
                  fmt::format("directory database {} does not exist; run `hostmail init`", path));
    }
  }
  auto connection = Connection::open(path, flags, busy_timeout);
  if (!connection) return fail(std::move(connection).error());

  // WAL lets readers (the daemon resolving recipients) go on while a writer
  // (the CLI) commits. It is a property of the file, so this only changes it
  // the first time; it returns the mode in effect.
  {
    auto query = connection->prepare("PRAGMA journal_mode=WAL");
    if (!query) return fail(std::move(query).error());
    auto row = query->step();
    if (!row) return fail(std::move(row).error());
    if (*row && query->text(0) != "wal") {
      log::warning(
          "directory database {}: journal mode is {}, not wal; readers will wait for "
          "writers",
          path, query->text(0));
    }
  }
  // A per-connection setting, off by default in SQLite: without it the
  // ON DELETE CASCADE that empties a deleted domain would not run.
  HM_TRY(connection->exec("PRAGMA foreign_keys=ON"));
  HM_TRY(migrate(*connection, mode == OpenMode::kCreateIfMissing));
  return std::unique_ptr<SqliteDirectory>(new SqliteDirectory(std::move(*connection)));
}

std::string SqliteDirectory::describe() const { return "sqlite:" + connection_.path(); }

// ---- helpers (mutex_ held) ----

Result<bool> SqliteDirectory::domain_exists(std::string_view domain) {
  auto query = connection_.prepare("SELECT 1 FROM domains WHERE name = ?");
  if (query) query->bind(domain);
  return has_row(std::move(query));
}

Result<bool> SqliteDirectory::account_exists(std::string_view address) {
  auto query = connection_.prepare("SELECT 1 FROM accounts WHERE address = ?");
  if (query) query->bind(address);
  return has_row(std::move(query));
}

Result<bool> SqliteDirectory::alias_exists(std::string_view address) {
  auto query = connection_.prepare("SELECT 1 FROM aliases WHERE address = ? LIMIT 1");
  if (query) query->bind(address);
  return has_row(std::move(query));
}

Status SqliteDirectory::insert_alias(const Alias& alias) {
  HM_TRY(check_alias(alias));
  std::string_view domain = domain_of(alias.address);
  auto hosted = domain_exists(domain);
  if (!hosted) return fail(std::move(hosted).error());
  if (!*hosted) return fail(not_hosted(domain));
  auto account = account_exists(alias.address);
  if (!account) return fail(std::move(account).error());
  if (*account) return fail(alias_is_account(alias.address));
  for (const std::string& maildrop : alias.maildrops) {
    // OR IGNORE on the (address, maildrop) key skips maildrops the alias has;
    // the new ones go after the last position so that order is kept.
    auto insert = connection_.prepare(
        "INSERT OR IGNORE INTO aliases (address, position, maildrop, domain) VALUES (?1, "
        "(SELECT COALESCE(MAX(position), -1) + 1 FROM aliases WHERE address = ?1), ?2, ?3)");
    if (!insert) return fail(std::move(insert).error());
    HM_TRY(insert->bind(alias.address).bind(maildrop).bind(domain).run());
  }
  return ok();
}

// ---- lookups ----

namespace {

// One read transaction, with the connection's lock held throughout (the
// lookups inside take the recursive lock again). A deferred BEGIN takes no
// lock itself; the first lookup takes SQLite's shared locks, which COMMIT
// releases: one lock and unlock of the database and its WAL index for all
// the lookups instead of one per statement.
class SqliteReadScope final : public ReadScope {
 public:
  SqliteReadScope(std::recursive_mutex& mutex, Connection& connection)
      : lock_(mutex), connection_(connection) {
    auto begin = connection_.prepare("BEGIN");
    open_ = begin && begin->run();
  }
  ~SqliteReadScope() override {
    if (!open_) return;
    auto commit = connection_.prepare("COMMIT");
    // A read-only transaction: ending it cannot lose anything; should COMMIT
    // fail, ROLLBACK still ends it, so the next statement is not inside it.
    if (!commit || !commit->run()) (void)connection_.exec("ROLLBACK");
  }
  SqliteReadScope(const SqliteReadScope&) = delete;
  SqliteReadScope& operator=(const SqliteReadScope&) = delete;

 private:
  std::unique_lock<std::recursive_mutex> lock_;
  Connection& connection_;
  bool open_ = false;
};

}  // namespace

std::unique_ptr<ReadScope> SqliteDirectory::read_scope() {
  return std::make_unique<SqliteReadScope>(mutex_, connection_);
}

Result<std::optional<Domain>> SqliteDirectory::find_domain(std::string_view domain) {
  std::lock_guard lock(mutex_);
  auto exists = domain_exists(domain);
  if (!exists) return fail(std::move(exists).error());
  if (!*exists) return std::nullopt;
  return Domain{std::string(domain)};
}

Result<std::optional<Account>> SqliteDirectory::find_account(std::string_view address) {
  std::lock_guard lock(mutex_);
  static const std::string sql =
      fmt::format("SELECT {} FROM accounts WHERE address = ?", kAccountColumns);
  auto query = connection_.prepare(sql.c_str());
  if (!query) return fail(std::move(query).error());
  auto row = query->bind(address).step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return std::nullopt;
  return read_account(*query);
}

Result<std::optional<Alias>> SqliteDirectory::find_alias(std::string_view address) {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare(
      "SELECT address, maildrop FROM aliases WHERE address = ? ORDER BY position");
  if (!query) return fail(std::move(query).error());
  auto aliases = read_aliases(query->bind(address));
  if (!aliases) return fail(std::move(aliases).error());
  if (aliases->empty()) return std::nullopt;
  return std::move(aliases->front());
}

Result<std::vector<std::string>> SqliteDirectory::postmasters(std::string_view domain) {
  std::lock_guard lock(mutex_);
  auto query =
      connection_.prepare("SELECT address FROM postmasters WHERE domain = ? ORDER BY position");
  if (!query) return fail(std::move(query).error());
  return read_strings(query->bind(domain));
}

Result<std::vector<std::string>> SqliteDirectory::domains_administered_by(
    std::string_view address) {
  std::lock_guard lock(mutex_);
  auto query =
      connection_.prepare("SELECT domain FROM postmasters WHERE address = ? ORDER BY domain");
  if (!query) return fail(std::move(query).error());
  return read_strings(query->bind(address));
}

// ---- listings ----

Result<std::vector<Domain>> SqliteDirectory::list_domains() {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare("SELECT name FROM domains ORDER BY name");
  if (!query) return fail(std::move(query).error());
  auto names = read_strings(*query);
  if (!names) return fail(std::move(names).error());
  std::vector<Domain> domains;
  domains.reserve(names->size());
  for (std::string& name : *names) domains.push_back(Domain{std::move(name)});
  return domains;
}

Result<std::vector<Account>> SqliteDirectory::list_accounts(std::string_view domain) {
  std::lock_guard lock(mutex_);
  static const std::string all_sql =
      fmt::format("SELECT {} FROM accounts ORDER BY address", kAccountColumns);
  static const std::string domain_sql =
      fmt::format("SELECT {} FROM accounts WHERE domain = ? ORDER BY address", kAccountColumns);
  auto query = connection_.prepare(domain.empty() ? all_sql.c_str() : domain_sql.c_str());
  if (!query) return fail(std::move(query).error());
  if (!domain.empty()) query->bind(domain);
  std::vector<Account> accounts;
  for (;;) {
    auto row = query->step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return accounts;
    accounts.push_back(read_account(*query));
  }
}

Result<std::vector<Alias>> SqliteDirectory::list_aliases(std::string_view domain) {
  std::lock_guard lock(mutex_);
  auto query =
      domain.empty()
          ? connection_.prepare("SELECT address, maildrop FROM aliases ORDER BY address, position")
          : connection_.prepare(
                "SELECT address, maildrop FROM aliases WHERE domain = ? "
                "ORDER BY address, position");
  if (!query) return fail(std::move(query).error());
  if (!domain.empty()) query->bind(domain);
  return read_aliases(*query);
}

Result<bool> SqliteDirectory::is_mailbox_retired(std::string_view mailbox) {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare("SELECT 1 FROM retired_mailboxes WHERE mailbox = ?");
  if (query) query->bind(mailbox);
  return has_row(std::move(query));
}

Result<std::optional<std::vector<std::string>>> SqliteDirectory::list_retired_mailboxes() {
  std::lock_guard lock(mutex_);
  auto query = connection_.prepare("SELECT mailbox FROM retired_mailboxes ORDER BY mailbox");
  if (!query) return fail(std::move(query).error());
  auto mailboxes = read_strings(*query);
  if (!mailboxes) return fail(std::move(mailboxes).error());
  return std::optional(std::move(*mailboxes));
}

// ---- changes ----

Status SqliteDirectory::retire_mailboxes(const Actor& /*actor*/,
                                         const std::vector<std::string>& mailboxes) {
  std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(connection_);
  if (!transaction) return fail(std::move(transaction).error());
  for (const std::string& mailbox : mailboxes) {
    if (mailbox.empty()) continue;
    // A backup names the path, not its last owner: the address stays empty.
    auto insert = connection_.prepare(
        "INSERT OR IGNORE INTO retired_mailboxes (mailbox, address, retired_at) "
        "VALUES (?, '', CAST(strftime('%s', 'now') AS INTEGER))");
    if (!insert) return fail(std::move(insert).error());
    HM_TRY(insert->bind(mailbox).run());
  }
  return transaction->commit();
}

Status SqliteDirectory::add_domain(const Actor& /*actor*/, const Domain& domain,
                                   const std::vector<Alias>& initial_aliases) {
  HM_TRY(check_domain_name(domain.name));
  std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(connection_);
  if (!transaction) return fail(std::move(transaction).error());
  auto exists = domain_exists(domain.name);
  if (!exists) return fail(std::move(exists).error());
  if (*exists) {
    return fail(ErrorKind::kExists, fmt::format("domain {} already exists", domain.name));
  }
  auto insert = connection_.prepare("INSERT INTO domains (name) VALUES (?)");
  if (!insert) return fail(std::move(insert).error());
  HM_TRY(insert->bind(domain.name).run());
  for (const Alias& alias : initial_aliases) HM_TRY(insert_alias(alias));
  return transaction->commit();
}

Status SqliteDirectory::delete_domain(const Actor& /*actor*/, std::string_view domain) {
  std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(connection_);
  if (!transaction) return fail(std::move(transaction).error());
  auto exists = domain_exists(domain);
  if (!exists) return fail(std::move(exists).error());
  if (!*exists) return fail(ErrorKind::kNotFound, fmt::format("domain {} is not hosted", domain));
  // The domain's accounts go as delete_account would take them: their
  // mailboxes are retired (a re-created domain must not hand them out again)
  // and they leave the postmaster roles of other domains. The cascade takes
  // the rest.
  auto retire = connection_.prepare(
      "INSERT OR IGNORE INTO retired_mailboxes (mailbox, address, retired_at) "
      "SELECT mailbox, address, CAST(strftime('%s', 'now') AS INTEGER) FROM accounts WHERE domain "
      "= ? AND mailbox <> ''");
  if (!retire) return fail(std::move(retire).error());
  HM_TRY(retire->bind(domain).run());
  auto roles = connection_.prepare(
      "DELETE FROM postmasters WHERE address IN (SELECT address FROM accounts WHERE domain = ?)");
  if (!roles) return fail(std::move(roles).error());
  HM_TRY(roles->bind(domain).run());
  auto remove = connection_.prepare("DELETE FROM domains WHERE name = ?");
  if (!remove) return fail(std::move(remove).error());
  HM_TRY(remove->bind(domain).run());
  return transaction->commit();
}

Status SqliteDirectory::mailbox_free(const Account& account) {
  if (account.mailbox.empty()) return ok();
  // rtrim: "d/u/" and "d/u" are one folder. A scan, but only on writes.
  auto query = connection_.prepare(
      "SELECT address FROM accounts WHERE rtrim(mailbox, '/') = ? AND address <> ? LIMIT 1");
  if (!query) return fail(std::move(query).error());
  query->bind(mailbox_key(account.mailbox)).bind(account.address);
  auto row = query->step();
  if (!row) return fail(std::move(row).error());
  if (*row) return fail(mailbox_taken(account.mailbox, query->text(0)));
  return ok();
}

Status SqliteDirectory::add_account(const Actor& /*actor*/, const Account& account) {
  HM_TRY(check_account_address(account.address));
  std::string_view domain = domain_of(account.address);
  std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(connection_);
  if (!transaction) return fail(std::move(transaction).error());
  auto hosted = domain_exists(domain);
  if (!hosted) return fail(std::move(hosted).error());
  if (!*hosted) return fail(not_hosted(domain));
  auto exists = account_exists(account.address);
  if (!exists) return fail(std::move(exists).error());
  if (*exists) {
    return fail(ErrorKind::kExists, fmt::format("account {} already exists", account.address));
  }
  auto alias = alias_exists(account.address);
  if (!alias) return fail(std::move(alias).error());
  if (*alias) return fail(account_is_alias(account.address));
  HM_TRY(mailbox_free(account));
  static const std::string sql =
      fmt::format("INSERT INTO accounts (domain, {}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  kAccountColumns);
  auto insert = connection_.prepare(sql.c_str());
  if (!insert) return fail(std::move(insert).error());
  insert->bind(domain).bind(account.address);
  bind_account_attributes(*insert, account);
  HM_TRY(insert->run());
  return transaction->commit();
}

Status SqliteDirectory::update_account(const Actor& /*actor*/, const Account& account) {
  std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(connection_);
  if (!transaction) return fail(std::move(transaction).error());
  HM_TRY(mailbox_free(account));
  auto update = connection_.prepare(
      "UPDATE accounts SET password_hash = ?, name = ?, home_directory = ?, mailbox = ?, "
      "uid_number = ?, gid_number = ?, quota_bytes = ?, disable_imap = ?, disable_pop3 = ? "
      "WHERE address = ?");
  if (!update) return fail(std::move(update).error());
  bind_account_attributes(*update, account);
  HM_TRY(update->bind(account.address).run());
  if (connection_.changes() == 0) {
    return fail(ErrorKind::kNotFound, fmt::format("account {} does not exist", account.address));
  }
  return transaction->commit();
}

Status SqliteDirectory::delete_account(const Actor& /*actor*/, std::string_view address) {
  std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(connection_);
  if (!transaction) return fail(std::move(transaction).error());
  auto retire = connection_.prepare(
      "INSERT OR IGNORE INTO retired_mailboxes (mailbox, address, retired_at) "
      "SELECT mailbox, address, CAST(strftime('%s', 'now') AS INTEGER) FROM accounts WHERE address "
      "= ? AND mailbox <> ''");
  if (!retire) return fail(std::move(retire).error());
  HM_TRY(retire->bind(address).run());
  auto roles = connection_.prepare("DELETE FROM postmasters WHERE address = ?");
  if (!roles) return fail(std::move(roles).error());
  HM_TRY(roles->bind(address).run());
  auto remove = connection_.prepare("DELETE FROM accounts WHERE address = ?");
  if (!remove) return fail(std::move(remove).error());
  HM_TRY(remove->bind(address).run());
  // Checked last: if nothing was deleted the transaction rolls back, and
  // with it the role removal of an address that is no account.
  if (connection_.changes() == 0) {
    return fail(ErrorKind::kNotFound, fmt::format("account {} does not exist", address));
  }
  return transaction->commit();
}

Status SqliteDirectory::add_alias(const Actor& /*actor*/, const Alias& alias) {
  std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(connection_);
  if (!transaction) return fail(std::move(transaction).error());
  HM_TRY(insert_alias(alias));
  return transaction->commit();
}

Status SqliteDirectory::delete_alias(const Actor& /*actor*/, std::string_view address,
                                     std::string_view maildrop) {
  std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(connection_);
  if (!transaction) return fail(std::move(transaction).error());
  if (maildrop.empty()) {
    auto remove = connection_.prepare("DELETE FROM aliases WHERE address = ?");
    if (!remove) return fail(std::move(remove).error());
    HM_TRY(remove->bind(address).run());
  } else {
    auto remove = connection_.prepare("DELETE FROM aliases WHERE address = ? AND maildrop = ?");
    if (!remove) return fail(std::move(remove).error());
    HM_TRY(remove->bind(address).bind(maildrop).run());
  }
  if (connection_.changes() == 0) {
    auto exists = alias_exists(address);
    if (!exists) return fail(std::move(exists).error());
    if (!*exists)
      return fail(ErrorKind::kNotFound, fmt::format("alias {} does not exist", address));
    return fail(ErrorKind::kNotFound,
                fmt::format("alias {} has no maildrop {}", address, maildrop));
  }
  return transaction->commit();
}

Status SqliteDirectory::grant_postmaster(const Actor& /*actor*/, std::string_view domain,
                                         std::string_view address) {
  HM_TRY(check_account_address(address));
  std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(connection_);
  if (!transaction) return fail(std::move(transaction).error());
  auto hosted = domain_exists(domain);
  if (!hosted) return fail(std::move(hosted).error());
  if (!*hosted) return fail(not_hosted(domain));
  auto insert = connection_.prepare(
      "INSERT OR IGNORE INTO postmasters (domain, position, address) VALUES (?1, "
      "(SELECT COALESCE(MAX(position), -1) + 1 FROM postmasters WHERE domain = ?1), ?2)");
  if (!insert) return fail(std::move(insert).error());
  HM_TRY(insert->bind(domain).bind(address).run());
  return transaction->commit();
}

Status SqliteDirectory::revoke_postmaster(const Actor& /*actor*/, std::string_view domain,
                                          std::string_view address) {
  std::lock_guard lock(mutex_);
  auto transaction = Transaction::begin(connection_);
  if (!transaction) return fail(std::move(transaction).error());
  auto hosted = domain_exists(domain);
  if (!hosted) return fail(std::move(hosted).error());
  if (!*hosted) return fail(ErrorKind::kNotFound, fmt::format("domain {} is not hosted", domain));
  auto remove = connection_.prepare("DELETE FROM postmasters WHERE domain = ? AND address = ?");
  if (!remove) return fail(std::move(remove).error());
  HM_TRY(remove->bind(domain).bind(address).run());
  if (connection_.changes() == 0) {
    return fail(ErrorKind::kNotFound,
                fmt::format("{} is not a postmaster of domain {}", address, domain));
  }
  return transaction->commit();
}

}  // namespace hm::directory::sqlite
