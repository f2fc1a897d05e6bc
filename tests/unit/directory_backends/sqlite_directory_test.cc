// SqliteDirectory alone: the file, the schema, and sharing the file between
// processes. Its directory semantics are tested by directory_contract_test.cc.

#include "directory/sqlite/sqlite_directory.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "directory/sqlite/sqlite_schema.h"
#include "test_backends.h"

namespace hm::directory::sqlite {
namespace {

using namespace std::chrono_literals;
using testing::is_error;
using testing::is_ok;
using testing::ScratchDir;

// A plain connection of our own, to look at and tamper with the file the way
// another program (or another hostmail process) would.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(
        sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
        SQLITE_OK);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  void exec(const char* sql) {
    char* message = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, &message), SQLITE_OK)
        << sql << ": " << (message ? message : "");
    sqlite3_free(message);
  }

  // The first column of the first row of sql, as text.
  std::string query(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr), SQLITE_OK) << sql;
    std::string value;
    if (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr) value = reinterpret_cast<const char*>(text);
    }
    sqlite3_finalize(stmt);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

Account account(const std::string& address) {
  Account a;
  a.address = address;
  a.mailbox = address + "/";
  a.uid_number = 5000;
  a.gid_number = 5000;
  return a;
}

class SqliteDirectoryTest : public ::testing::Test {
 protected:
  std::string path() const { return (scratch_.path() / "directory.db").string(); }

  std::unique_ptr<SqliteDirectory> open(OpenMode mode = OpenMode::kCreateIfMissing) {
    auto opened = SqliteDirectory::open(path(), mode);
    EXPECT_TRUE(is_ok(opened));
    return opened ? std::move(*opened) : nullptr;
  }

  ScratchDir scratch_;
  Actor actor_{"admin", ""};
};

TEST_F(SqliteDirectoryTest, CreatesTheFileInWalModeWithTheCurrentSchema) {
  auto dir = open();
  ASSERT_NE(dir, nullptr);
  EXPECT_TRUE(std::filesystem::exists(path()));
  EXPECT_EQ(dir->describe(), "sqlite:" + path());
  RawDb raw(path());
  EXPECT_EQ(raw.query("PRAGMA user_version"), std::to_string(kSchemaVersion));
  EXPECT_EQ(raw.query("PRAGMA journal_mode"), "wal");
  // A local file: SMTP sessions look up on their own thread.
  EXPECT_TRUE(dir->answers_locally());
  EXPECT_EQ(raw.query("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                      "('domains', 'accounts', 'aliases', 'postmasters', 'retired_mailboxes')"),
            "5");
}

TEST_F(SqliteDirectoryTest, ReopenKeepsData) {
  {
    auto dir = open();
    ASSERT_NE(dir, nullptr);
    ASSERT_TRUE(is_ok(dir->add_domain(actor_, Domain{"example.org"},
                                      {Alias{"postmaster@example.org", {"alice@example.org"}}})));
    ASSERT_TRUE(is_ok(dir->add_account(actor_, account("alice@example.org"))));
    ASSERT_TRUE(is_ok(dir->grant_postmaster(actor_, "example.org", "alice@example.org")));
    ASSERT_TRUE(is_ok(dir->add_account(actor_, account("bob@example.org"))));
    ASSERT_TRUE(is_ok(dir->delete_account(actor_, "bob@example.org")));
  }
  auto dir = open(OpenMode::kMustExist);
  ASSERT_NE(dir, nullptr);
  auto alice = dir->find_account("alice@example.org");
  ASSERT_TRUE(is_ok(alice));
  ASSERT_TRUE(alice->has_value());
  EXPECT_EQ(**alice, account("alice@example.org"));
  auto alias = dir->find_alias("postmaster@example.org");
  ASSERT_TRUE(is_ok(alias));
  ASSERT_TRUE(alias->has_value());
  EXPECT_EQ((*alias)->maildrops, std::vector<std::string>{"alice@example.org"});
  auto occupants = dir->postmasters("example.org");
  ASSERT_TRUE(is_ok(occupants));
  EXPECT_EQ(*occupants, std::vector<std::string>{"alice@example.org"});
  auto retired = dir->is_mailbox_retired("bob@example.org/");
  ASSERT_TRUE(is_ok(retired));
  EXPECT_TRUE(*retired);
}

// A read scope is one read transaction: its lookups see one state of the
// file even while another process (here another connection) changes it,
// and it ends with the scope, so that later lookups and changes see the new
// state.
TEST_F(SqliteDirectoryTest, ReadScopeSeesOneStateAndEndsWithTheScope) {
  auto dir = open();
  ASSERT_NE(dir, nullptr);
  ASSERT_TRUE(is_ok(dir->add_domain(actor_, Domain{"example.org"}, {})));
  ASSERT_TRUE(is_ok(dir->add_account(actor_, account("alice@example.org"))));
  auto other = open(OpenMode::kMustExist);
  ASSERT_NE(other, nullptr);
  {
    auto scope = dir->read_scope();
    ASSERT_NE(scope, nullptr);
    auto alice = dir->find_account("alice@example.org");
    ASSERT_TRUE(is_ok(alice));
    EXPECT_TRUE(alice->has_value());
    // WAL: the writer is not blocked by the open read...
    ASSERT_TRUE(is_ok(other->add_account(actor_, account("bob@example.org"))));
    // ...and the read goes on seeing the state it started with.
    auto bob = dir->find_account("bob@example.org");
    ASSERT_TRUE(is_ok(bob));
    EXPECT_FALSE(bob->has_value());
  }
  auto bob = dir->find_account("bob@example.org");
  ASSERT_TRUE(is_ok(bob));
  EXPECT_TRUE(bob->has_value());
  EXPECT_TRUE(is_ok(dir->add_account(actor_, account("carol@example.org"))));
}

TEST_F(SqliteDirectoryTest, MustExistOnMissingFileSaysRunInit) {
  auto opened = SqliteDirectory::open(path(), OpenMode::kMustExist);
  EXPECT_TRUE(
      is_error(opened, ErrorKind::kNotFound, {path(), "does not exist", "run `hostmail init`"}));
  EXPECT_FALSE(std::filesystem::exists(path()));
}

TEST_F(SqliteDirectoryTest, MustExistOnUninitialisedFileSaysRunInit) {
  std::ofstream(path()).close();  // an empty file, as `touch` leaves it
  auto opened = SqliteDirectory::open(path(), OpenMode::kMustExist);
  EXPECT_TRUE(is_error(opened, ErrorKind::kNotFound, {path(), "hostmail init"}));
  // `hostmail init` (create-if-missing) then initialises it.
  EXPECT_NE(open(OpenMode::kCreateIfMissing), nullptr);
  EXPECT_NE(open(OpenMode::kMustExist), nullptr);
}

TEST_F(SqliteDirectoryTest, MissingFolderIsAnErrorNamingThePath) {
  std::string missing = (scratch_.path() / "no-such-folder" / "directory.db").string();
  auto opened = SqliteDirectory::open(missing, OpenMode::kCreateIfMissing);
  ASSERT_FALSE(opened);
  EXPECT_NE(opened.error().message().find(missing), std::string::npos) << opened.error().message();
}

TEST_F(SqliteDirectoryTest, NotADatabaseIsRefused) {
  {
    std::ofstream file(path());
    file << "this is not an SQLite database, but a text file that someone put here by mistake\n";
    for (int i = 0; i < 100; ++i) file << "padding padding padding padding\n";
  }
  auto opened = SqliteDirectory::open(path(), OpenMode::kCreateIfMissing);
  EXPECT_TRUE(is_error(opened, ErrorKind::kInternal, {path(), "not a valid directory database"}));
}

TEST_F(SqliteDirectoryTest, NewerSchemaIsRefused) {
  ASSERT_NE(open(), nullptr);
  {
    RawDb raw(path());
    raw.exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion + 1)).c_str());
  }
  auto opened = SqliteDirectory::open(path(), OpenMode::kMustExist);
  EXPECT_TRUE(is_error(opened, ErrorKind::kInvalid, {path(), "newer", "upgrade hostmail"}));
}

TEST_F(SqliteDirectoryTest, TwoObjectsOnOneFileSeeEachOthersWrites) {
  // As the daemon and the CLI do: two connections to one file.
  auto daemon = open();
  auto cli = open(OpenMode::kMustExist);
  ASSERT_NE(daemon, nullptr);
  ASSERT_NE(cli, nullptr);
  ASSERT_TRUE(is_ok(cli->add_domain(actor_, Domain{"example.org"}, {})));
  ASSERT_TRUE(is_ok(cli->add_account(actor_, account("alice@example.org"))));
  auto seen = daemon->find_account("alice@example.org");
  ASSERT_TRUE(is_ok(seen));
  EXPECT_TRUE(seen->has_value());

  ASSERT_TRUE(is_ok(daemon->add_alias(actor_, Alias{"info@example.org", {"alice@example.org"}})));
  // The cross-object rule holds too: the CLI cannot make an account where
  // the daemon's connection made an alias.
  EXPECT_TRUE(is_error(cli->add_account(actor_, account("info@example.org")), ErrorKind::kExists));

  ASSERT_TRUE(is_ok(cli->delete_account(actor_, "alice@example.org")));
  seen = daemon->find_account("alice@example.org");
  ASSERT_TRUE(is_ok(seen));
  EXPECT_FALSE(seen->has_value());
  auto retired = daemon->is_mailbox_retired("alice@example.org/");
  ASSERT_TRUE(is_ok(retired));
  EXPECT_TRUE(*retired);
}

TEST_F(SqliteDirectoryTest, ConcurrentWritersOnSeparateConnectionsAllSucceed) {
  ASSERT_TRUE(is_ok(open()->add_domain(actor_, Domain{"example.org"}, {})));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::string> first_error(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    // Each thread its own object, hence its own connection: the threads
    // contend for SQLite's file lock, as separate processes would, and the
    // busy timeout must make every one of them wait its turn.
    threads.emplace_back([&, t] {
      auto dir = SqliteDirectory::open(path(), OpenMode::kMustExist);
      if (!dir) {
        failures[t] = kPerThread;
        first_error[t] = dir.error().describe();
        return;
      }
      for (int i = 0; i < kPerThread; ++i) {
        auto added = (*dir)->add_account(
            actor_, account("t" + std::to_string(t) + "-" + std::to_string(i) + "@example.org"));
        if (!added) {
          if (failures[t]++ == 0) first_error[t] = added.error().describe();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << first_error[t];
  auto accounts = open()->list_accounts("example.org");
  ASSERT_TRUE(is_ok(accounts));
  EXPECT_EQ(accounts->size(), size_t{kThreads * kPerThread});
}

TEST_F(SqliteDirectoryTest, LockHeldTooLongIsTemporary) {
  ASSERT_TRUE(is_ok(open()->add_domain(actor_, Domain{"example.org"}, {})));
  auto opened = SqliteDirectory::open(path(), OpenMode::kMustExist, 100ms);
  ASSERT_TRUE(is_ok(opened));
  auto& dir = *opened;

  RawDb other(path());
  other.exec("BEGIN IMMEDIATE");  // another process holds the write lock
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(is_error(dir->add_account(actor_, account("alice@example.org")),
                       ErrorKind::kTemporary, {path(), "try again"}));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);  // it did wait
  // WAL: readers are not blocked by the writer.
  auto found = dir->find_domain("example.org");
  ASSERT_TRUE(is_ok(found));
  EXPECT_TRUE(found->has_value());
  other.exec("ROLLBACK");

  EXPECT_TRUE(is_ok(dir->add_account(actor_, account("alice@example.org"))));
}

}  // namespace
}  // namespace hm::directory::sqlite
