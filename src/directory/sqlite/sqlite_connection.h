#pragma once
// RAII around the SQLite C API for the directory backend: a Connection owns a
// sqlite3* and a cache of prepared statements, a Query binds and steps one of
// those statements and resets it when it goes out of scope, a Transaction is a
// BEGIN IMMEDIATE that rolls back unless committed.
//
// Thread-safety: none. A Connection and everything obtained from it must be
// used by one thread at a time (SqliteDirectory holds a mutex around it).
// A Query or Transaction must not outlive its Connection.

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"

namespace hm::directory::sqlite {

class Connection;

// One execution of a cached prepared statement. Binds are positional and
// counted from 1 in the order bind() is called.
class Query {
 public:
  Query(Connection* connection, sqlite3_stmt* stmt) : connection_(connection), stmt_(stmt) {}
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  ~Query();

  Query& bind(std::string_view text);
  Query& bind(int64_t value);

  // Ok(true): a row is available through the column accessors; Ok(false):
  // the statement is done. Errors are mapped as Connection::error() does.
  Result<bool> step();
  // Steps to the end, for statements that return no rows.
  Status run();

  std::string text(int column) const;
  int64_t integer(int column) const;

 private:
  Connection* connection_;
  sqlite3_stmt* stmt_;
  int next_index_ = 1;
  int bind_rc_ = SQLITE_OK;  // first bind failure, reported by step()
};

class Connection {
 public:
  // Opens path with the given sqlite3_open_v2 flags and sets the busy
  // timeout, so that a lock held by another process is waited for.
  static Result<Connection> open(const std::string& path, int flags,
                                 std::chrono::milliseconds busy_timeout);

  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  // Runs SQL that needs no parameters (pragmas, schema scripts).
  Status exec(const char* sql);
  // The cached prepared statement for sql (prepared on first use). The
  // returned Query must be destroyed before the same sql is prepared again.
  Result<Query> prepare(const char* sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const;

  // Maps a SQLite result code to an hm::Error: a busy or locked database, a
  // full disk or an I/O error are kTemporary (the caller answers "try again
  // later"), anything else kInternal. `what` says what was being done.
  Error error(int rc, std::string_view what) const;

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_.get(); }

 private:
  struct DbCloser {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  struct StmtFinalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };

  Connection(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

  std::string path_;
  // Declared before the cache so that statements are finalized first.
  std::unique_ptr<sqlite3, DbCloser> db_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StmtFinalizer>> statements_;
};

// BEGIN IMMEDIATE: takes the write lock up front, so that a transaction which
// reads before it writes cannot fail half-way with SQLITE_BUSY; the busy
// timeout applies to taking the lock.
class Transaction {
 public:
  static Result<Transaction> begin(Connection& connection);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  Status commit();

 private:
  explicit Transaction(Connection* connection) : connection_(connection) {}
  Connection* connection_;  // null once committed, rolled back or moved from
};

}  // namespace hm::directory::sqlite
