// The RAII layer under SqliteDirectory: queries, the statement cache,
// transactions and the mapping of SQLite errors to hm::Error kinds.

#include "directory/sqlite/sqlite_connection.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "test_backends.h"

namespace hm::directory::sqlite {
namespace {

using namespace std::chrono_literals;
using testing::is_error;
using testing::is_ok;
using testing::ScratchDir;

class SqliteConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open();
    ASSERT_TRUE(is_ok(opened));
    connection_.emplace(std::move(*opened));
    ASSERT_TRUE(is_ok(connection_->exec("PRAGMA journal_mode=WAL")));
    ASSERT_TRUE(
        is_ok(connection_->exec("CREATE TABLE t (k TEXT NOT NULL PRIMARY KEY, v INTEGER)")));
  }

  Result<Connection> open(std::chrono::milliseconds busy_timeout = 1000ms) {
    return Connection::open((scratch_.path() / "t.db").string(),
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, busy_timeout);
  }

  Status insert(std::string_view key, int64_t value) {
    auto query = connection_->prepare("INSERT INTO t (k, v) VALUES (?, ?)");
    if (!query) return fail(std::move(query).error());
    return query->bind(key).bind(value).run();
  }

  int64_t count() {
    auto query = connection_->prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(is_ok(query));
    auto row = query->step();
    EXPECT_TRUE(is_ok(row));
    return query->integer(0);
  }

  ScratchDir scratch_;
  std::optional<Connection> connection_;
};

TEST_F(SqliteConnectionTest, BindsStepsAndReusesCachedStatements) {
  ASSERT_TRUE(is_ok(insert("a", 1)));
  ASSERT_TRUE(is_ok(insert("b", -5)));                // the same cached statement, reset in between
  ASSERT_TRUE(is_ok(insert(std::string_view(), 7)));  // no data pointer: binds "", not NULL
  auto query = connection_->prepare("SELECT k, v FROM t ORDER BY k");
  ASSERT_TRUE(is_ok(query));
  std::vector<std::pair<std::string, int64_t>> rows;
  for (;;) {
    auto row = query->step();
    ASSERT_TRUE(is_ok(row));
    if (!*row) break;
    rows.emplace_back(query->text(0), query->integer(1));
  }
  EXPECT_EQ(rows, (std::vector<std::pair<std::string, int64_t>>{{"", 7}, {"a", 1}, {"b", -5}}));
  EXPECT_EQ(connection_->changes(), 1);
}

// Issue 11.1: the database lies in a folder the daemon can write, and root
// opens it; a link planted in its place is never followed, and the file it
// points at is neither read nor created.
TEST_F(SqliteConnectionTest, ALinkInPlaceOfTheDatabaseIsNeverFollowed) {
  const auto target = scratch_.path() / "elsewhere.db";
  const auto link = scratch_.path() / "linked.db";
  std::filesystem::create_symlink(target, link);
  auto opened = Connection::open(link.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 100ms);
  EXPECT_FALSE(opened.has_value());
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST_F(SqliteConnectionTest, ConstraintViolationIsAnError) {
  ASSERT_TRUE(is_ok(insert("a", 1)));
  EXPECT_TRUE(is_error(insert("a", 2), ErrorKind::kInternal));
  // The failed statement was reset: the cache still works.
  EXPECT_TRUE(is_ok(insert("b", 2)));
}

TEST_F(SqliteConnectionTest, BadSqlIsInternalWithTheSqlInTheDetail) {
  auto query = connection_->prepare("SELECT nonsense FROM nowhere");
  ASSERT_TRUE(is_error(query, ErrorKind::kInternal));
  EXPECT_NE(query.error().detail().find("nowhere"), std::string::npos) << query.error().detail();
}

TEST_F(SqliteConnectionTest, TransactionRollsBackUnlessCommitted) {
  {
    auto transaction = Transaction::begin(*connection_);
    ASSERT_TRUE(is_ok(transaction));
    ASSERT_TRUE(is_ok(insert("a", 1)));
  }
  EXPECT_EQ(count(), 0);
  {
    auto transaction = Transaction::begin(*connection_);
    ASSERT_TRUE(is_ok(transaction));
    ASSERT_TRUE(is_ok(insert("a", 1)));
    ASSERT_TRUE(is_ok(transaction->commit()));
  }
  EXPECT_EQ(count(), 1);
}

TEST_F(SqliteConnectionTest, WriteLockHeldElsewhereIsTemporary) {
  auto other = open(50ms);
  ASSERT_TRUE(is_ok(other));
  auto held = Transaction::begin(*connection_);
  ASSERT_TRUE(is_ok(held));
  auto blocked = Transaction::begin(*other);
  EXPECT_TRUE(is_error(blocked, ErrorKind::kTemporary, {"locked", "try again"}));
  EXPECT_NE(blocked.error().detail().find("BEGIN IMMEDIATE"), std::string::npos);
  ASSERT_TRUE(is_ok(held->commit()));
  EXPECT_TRUE(is_ok(Transaction::begin(*other)));
}

TEST_F(SqliteConnectionTest, ErrorKinds) {
  EXPECT_EQ(connection_->error(SQLITE_BUSY, "x").kind(), ErrorKind::kTemporary);
  EXPECT_EQ(connection_->error(SQLITE_LOCKED, "x").kind(), ErrorKind::kTemporary);
  EXPECT_EQ(connection_->error(SQLITE_FULL, "x").kind(), ErrorKind::kTemporary);
  EXPECT_EQ(connection_->error(SQLITE_IOERR_FSYNC, "x").kind(), ErrorKind::kTemporary);
  EXPECT_EQ(connection_->error(SQLITE_CORRUPT, "x").kind(), ErrorKind::kInternal);
  EXPECT_EQ(connection_->error(SQLITE_NOTADB, "x").kind(), ErrorKind::kInternal);
  EXPECT_EQ(connection_->error(SQLITE_READONLY, "x").kind(), ErrorKind::kInternal);
  Error e = connection_->error(SQLITE_BUSY, "doing something");
  EXPECT_NE(e.message().find(connection_->path()), std::string::npos);
  EXPECT_NE(e.detail().find("doing something"), std::string::npos);
}

}  // namespace
}  // namespace hm::directory::sqlite
