#include "directory/sqlite/sqlite_connection.h"

#include <fmt/format.h>

#include <limits>
#include <utility>

namespace hm::directory::sqlite {

Query::Query(Query&& other) noexcept
    : connection_(other.connection_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      next_index_(other.next_index_),
      bind_rc_(other.bind_rc_) {}

Query::~Query() {
  if (stmt_ == nullptr) return;
  // A statement left un-reset keeps its read snapshot open, which in WAL mode
  // stops checkpoints and pins old pages; reset it even after an error.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query& Query::bind(std::string_view text) {
  // A default string_view has no data pointer, which SQLite would bind as
  // NULL; every column here is NOT NULL text, so bind "" instead.
  if (text.data() == nullptr) text = "";
  int rc = sqlite3_bind_text64(stmt_, next_index_++, text.data(), text.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Query& Query::bind(int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, next_index_++, value);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Query::step() {
  if (bind_rc_ != SQLITE_OK) return fail(connection_->error(bind_rc_, "binding a parameter"));
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return fail(connection_->error(rc, sqlite3_sql(stmt_)));
}

Status Query::run() {
  for (;;) {
    auto row = step();
    if (!row) return fail(std::move(row).error());
    if (!*row) return ok();
  }
}

std::string Query::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t Query::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

Result<Connection> Connection::open(const std::string& path, int flags,
                                    std::chrono::milliseconds busy_timeout) {
  sqlite3* raw = nullptr;
  // Never through a symbolic link: the database lies in a folder the
  // unprivileged daemon can write, and `serve` and the CLI may open it as
  // root; a planted link must not make root open (or create) another file.
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOFOLLOW, nullptr);
  // sqlite3_open_v2 hands out a handle even on failure; the Connection owns
  // it from here so that it is closed on every path.
  Connection connection(path, raw);
  if (raw == nullptr) {
    return fail(ErrorKind::kInternal,
                fmt::format("cannot open directory database {}: out of memory", path));
  }
  if (rc != SQLITE_OK) return fail(connection.error(rc, "opening the database"));
  sqlite3_extended_result_codes(raw, 1);
  int timeout_ms =
      static_cast<int>(std::min<int64_t>(busy_timeout.count(), std::numeric_limits<int>::max()));
  rc = sqlite3_busy_timeout(raw, timeout_ms);
  if (rc != SQLITE_OK) return fail(connection.error(rc, "setting the busy timeout"));
  return connection;
}

Status Connection::exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &message);
  std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  if (rc != SQLITE_OK) return fail(error(rc, text.empty() ? std::string_view(sql) : text));
  return ok();
}

Result<Query> Connection::prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return fail(error(rc, sql));
    }
    it = statements_.emplace(sql, std::unique_ptr<sqlite3_stmt, StmtFinalizer>(stmt)).first;
  }
  return Query(this, it->second.get());
}

int64_t Connection::changes() const { return sqlite3_changes64(db_.get()); }

Error Connection::error(int rc, std::string_view what) const {
  std::string detail = fmt::format("{}: {} (sqlite code {})", what,
                                   db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc), rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error(ErrorKind::kTemporary,
                   fmt::format("the directory database {} is locked by another process; "
                               "try again in a moment",
                               path_),
                   std::move(detail));
    case SQLITE_FULL:
      return Error(ErrorKind::kTemporary,
                   fmt::format("the disk holding the directory database {} is full; "
                               "free some space",
                               path_),
                   std::move(detail));
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return Error(ErrorKind::kTemporary,
                   fmt::format("cannot read or write the directory database {}; check the file "
                               "and its directory (permissions, disk)",
                               path_),
                   std::move(detail));
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Error(ErrorKind::kInternal,
                   fmt::format("{} is not a valid directory database (not SQLite, or damaged); "
                               "restore it from a backup or an LDIF export",
                               path_),
                   std::move(detail));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Error(ErrorKind::kInternal,
                   fmt::format("the directory database {} is read-only for this process; "
                               "run as the user that owns it",
                               path_),
                   std::move(detail));
    default:
      return Error(ErrorKind::kInternal,
                   fmt::format("the directory database {} failed unexpectedly", path_),
                   std::move(detail));
  }
}

Result<Transaction> Transaction::begin(Connection& connection) {
  auto begin = connection.prepare("BEGIN IMMEDIATE");
  if (!begin) return fail(std::move(begin).error());
  HM_TRY(begin->run());
  return Transaction(&connection);
}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)) {}

Transaction::~Transaction() {
  if (connection_ == nullptr) return;
  // Nothing to report from a destructor; a failed ROLLBACK leaves the
  // transaction to SQLite, which rolls back when the connection closes.
  auto rollback = connection_->prepare("ROLLBACK");
  if (rollback) (void)rollback->run();
}

Status Transaction::commit() {
  auto commit = connection_->prepare("COMMIT");
  if (!commit) return fail(std::move(commit).error());
  HM_TRY(commit->run());
  connection_ = nullptr;
  return ok();
}

}  // namespace hm::directory::sqlite
