#include "directory/sqlite/sqlite_schema.h"

#include <fmt/format.h>

#include <array>

namespace hm::directory::sqlite {
namespace {

// kMigrations[i] upgrades version i to i + 1. Append, never edit: a released
// step has already run on someone's database.
constexpr std::array<const char*, kSchemaVersion> kMigrations = {
    // 0 -> 1: the initial schema.
    R"sql(
CREATE TABLE domains (
  name TEXT PRIMARY KEY NOT NULL
);
CREATE TABLE accounts (
  address        TEXT PRIMARY KEY NOT NULL,
  domain         TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
  password_hash  TEXT NOT NULL,
  name           TEXT NOT NULL,
  home_directory TEXT NOT NULL,
  mailbox        TEXT NOT NULL,
  uid_number     INTEGER NOT NULL,
  gid_number     INTEGER NOT NULL,
  quota_bytes    INTEGER NOT NULL,  -- a uint64 stored bit for bit in SQLite's int64
  disable_imap   INTEGER NOT NULL,
  disable_pop3   INTEGER NOT NULL
);
CREATE INDEX accounts_by_domain ON accounts(domain);
CREATE TABLE aliases (
  address  TEXT NOT NULL,
  position INTEGER NOT NULL,  -- keeps the maildrops in the order they were added
  maildrop TEXT NOT NULL,
  domain   TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
  PRIMARY KEY (address, maildrop)
);
CREATE INDEX aliases_by_domain ON aliases(domain);
CREATE TABLE postmasters (
  domain   TEXT NOT NULL REFERENCES domains(name) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  address  TEXT NOT NULL,
  PRIMARY KEY (domain, address)
);
CREATE INDEX postmasters_by_address ON postmasters(address);
CREATE TABLE retired_mailboxes (
  mailbox    TEXT PRIMARY KEY NOT NULL,
  address    TEXT NOT NULL,
  retired_at INTEGER NOT NULL  -- unix time
);
)sql",
};

}  // namespace

Result<int> schema_version(Connection& connection) {
  auto query = connection.prepare("PRAGMA user_version");
  if (!query) return fail(std::move(query).error());
  auto row = query->step();
  if (!row) return fail(std::move(row).error());
  if (!*row) return fail(connection.error(SQLITE_ERROR, "PRAGMA user_version returned no row"));
  return static_cast<int>(query->integer(0));
}

Status migrate(Connection& connection, bool may_initialize) {
  // Cheap check first, so that opening an up-to-date database takes no write
  // lock (the daemon and the CLI open it often).
  auto version = schema_version(connection);
  if (!version) return fail(std::move(version).error());
  if (*version == kSchemaVersion) return ok();

  auto transaction = Transaction::begin(connection);
  if (!transaction) return fail(std::move(transaction).error());
  version = schema_version(connection);
  if (!version) return fail(std::move(version).error());
  if (*version > kSchemaVersion) {
    return fail(ErrorKind::kInvalid,
                fmt::format("directory database {} has schema version {}, newer than this "
                            "hostmail understands ({}); upgrade hostmail",
                            connection.path(), *version, kSchemaVersion));
  }
  if (*version == 0 && !may_initialize) {
    return fail(ErrorKind::kNotFound,
                fmt::format("directory database {} is not initialised; run `hostmail init`",
                            connection.path()));
  }
  for (int v = *version; v < kSchemaVersion; ++v) {
    HM_TRY(connection.exec(kMigrations[static_cast<size_t>(v)]));
  }
  // PRAGMA takes no bound parameters; the value is our own constant.
  HM_TRY(connection.exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion).c_str()));
  return transaction->commit();
}

}  // namespace hm::directory::sqlite
