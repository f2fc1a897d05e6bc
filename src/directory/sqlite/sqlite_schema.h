#pragma once
// The SQLite directory's schema and its migrations. The schema version lives
// in PRAGMA user_version; version N+1 is reached from N by one step of SQL,
// run in the same transaction as the version bump, so that a database is
// always at exactly one version and a crash mid-upgrade leaves it untouched.
//
// Tables (version 1):
//   domains(name)
//   accounts(address, domain -> domains, the Account attributes)
//   aliases(address, position, maildrop, domain -> domains)  one row per maildrop
//   postmasters(domain -> domains, position, address)         role occupants
//   retired_mailboxes(mailbox, address, retired_at)           never reused
// Rows referring to a domain go with it (ON DELETE CASCADE); retired
// mailboxes outlive their domain on purpose.

#include "directory/sqlite/sqlite_connection.h"

namespace hm::directory::sqlite {

// The version this build writes and understands.
inline constexpr int kSchemaVersion = 1;

// Brings the database behind connection to kSchemaVersion. A new, empty
// database (user_version 0) is initialised only if may_initialize; otherwise
// that is kNotFound with a hint to run `hostmail init`. A database newer than
// kSchemaVersion is kInvalid (an older hostmail must not write it). Safe to
// run from several processes at once: the version is re-read under the
// write lock.
Status migrate(Connection& connection, bool may_initialize);

// The database's current user_version.
Result<int> schema_version(Connection& connection);

}  // namespace hm::directory::sqlite
