// The POP3 session driven in-process over a stream in memory: the real
// session code with the real Authenticator (over a directory in memory)
// and the store in memory. Transcripts in tests/data/pop3_session/*.txt
// say what a client sends and what the server must answer. Syntax, a line
// each (C:, C+, S:, "! close", "! closed" as in session_fixture.h):
//   ! config <key> <value>   before the first C:/S: line: plaintext
//                 (always|never|loopback), line_length, errors
//                 (errors_per_session), timeout (command_timeout, seconds),
//                 peer (the client's address)
//   ! append <text>          another session appends a message to the INBOX
//   ! flag <uid> <flag>      another session adds seen|flagged|deleted
//   ! expunge <uid>          another session expunges that message
//   ! count <n>              the INBOX holds n messages
//   ! flags <uid> <letters>  the message's flags are exactly these (S, D, F)

#include "pop3/session.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "auth/password_scheme.h"
#include "directory/authenticator.h"
#include "directory/memory/memory_directory.h"
#include "directory/resolver.h"
#include "escapes.h"
#include "memory_stream.h"
#include "session_fixture.h"
#include "store/memory/memory_store.h"

namespace hm::pop3 {
namespace {

namespace fs = std::filesystem;
using test_support::glob_match;

class Pop3SessionTest : public test_support::SessionFixture {
 protected:
  void SetUp() override {
    directory::Actor admin{"admin", ""};
    ASSERT_TRUE(directory_.add_domain(admin, {"example.org"}, {}));
    auto hash = auth::hash_password("pw", "SSHA");
    ASSERT_TRUE(hash);
    for (const char* user : {"john", "nopop"}) {
      directory::Account a;
      a.address = std::string(user) + "@example.org";
      a.mailbox = std::string("example.org/") + user + "/";
      a.password_hash = *hash;
      a.disable_pop3 = std::string(user) == "nopop";
      ASSERT_TRUE(directory_.add_account(admin, a));
    }
    resolver_ = std::make_unique<directory::Resolver>(directory_, directory::ResolverOptions{});
    authenticator_ =
        std::make_unique<directory::Authenticator>(directory_, directory::AuthenticatorOptions{});
    async_ = std::make_unique<directory::AsyncDirectory>(*resolver_, *authenticator_, 1,
                                                         std::chrono::seconds(5));
    settings_.hostname = "pop.test";
    settings_.plaintext_login = mail_access::PlaintextLogin::kAlways;
    settings_.worker_threads = 1;
  }

  void TearDown() override {
    if (!session_done_) {
      pipe_->close_input();
      run_until([&] { return session_done_; });
    }
    io_.stop();
    if (pool_) pool_->join();
    context_.reset();
    pool_.reset();
  }

  std::shared_ptr<store::memory::MemoryAccount> account(const std::string& name) {
    auto& a = accounts_[name];
    if (!a) a = store::memory::make_memory_account(0);
    return a;
  }

  // Another session of john's account (an IMAP client or a delivery).
  store::Mailboxes& other() {
    if (!other_) other_ = store::memory::open(account("john@example.org"));
    return *other_;
  }

  void start() {
    pool_ = std::make_unique<net::asio::thread_pool>(1);
    mail_access::AccountOpener opener =
        [this](const directory::Principal& who) -> Result<std::unique_ptr<store::Mailboxes>> {
      if (fail_open_) return fail(ErrorKind::kTemporary, "disk on fire");
      std::lock_guard lock(accounts_mutex_);
      return store::memory::open(account(who.name));
    };
    context_.reset(new SessionContext{settings_, *async_, std::move(opener), *pool_, nullptr});
    start_session(peer_, [this](net::Connection& connection) -> net::asio::awaitable<void> {
      Session session(*context_, connection);
      co_await connection.run(session.run());
    });
  }

  void append(const std::string& text) {
    std::lock_guard lock(accounts_mutex_);
    store::AppendMessage m;
    m.text = test_support::unescape(text);
    auto r = other().append({}, {m});
    ASSERT_TRUE(r) << r.error().describe();
  }

  void configure(const std::string& key, const std::string& value, const std::string& where) {
    if (key == "plaintext") {
      settings_.plaintext_login = value == "never"    ? mail_access::PlaintextLogin::kNever
                                  : value == "always" ? mail_access::PlaintextLogin::kAlways
                                                      : mail_access::PlaintextLogin::kLoopback;
    } else if (key == "line_length") {
      settings_.line_length = static_cast<uint32_t>(std::stoul(value));
    } else if (key == "errors") {
      settings_.errors_per_session = static_cast<uint32_t>(std::stoul(value));
    } else if (key == "timeout") {
      settings_.command_timeout = std::chrono::seconds(std::stoul(value));
    } else if (key == "peer") {
      peer_ = value;
    } else {
      ADD_FAILURE() << where << ": unknown setting " << key;
    }
  }

  void other_action(const std::string& verb, std::istringstream& words, const std::string& where) {
    if (verb == "append") {
      std::string text;
      std::getline(words >> std::ws, text);
      append(text);
      return;
    }
    std::lock_guard lock(accounts_mutex_);
    uint32_t uid = 0;
    std::string arg;
    words >> uid >> arg;
    auto box = other().open({}, false);
    ASSERT_TRUE(box) << where << ": " << box.error().describe();
    if (verb == "flags") {
      auto pos = (*box)->find(uid);
      ASSERT_TRUE(pos) << where << ": no message " << uid;
      const uint8_t f = (*box)->messages()[*pos].flags;
      std::string got;
      if (f & store::kFlagSeen) got += 'S';
      if (f & store::kFlagDeleted) got += 'D';
      if (f & store::kFlagFlagged) got += 'F';
      EXPECT_EQ(got, arg == "-" ? "" : arg) << where << ": flags of " << uid;
      return;
    }
    store::FlagChange change;
    change.flags = verb == "expunge"  ? store::kFlagDeleted
                   : arg == "seen"    ? store::kFlagSeen
                   : arg == "deleted" ? store::kFlagDeleted
                                      : store::kFlagFlagged;
    ASSERT_TRUE((*box)->set_flags({uid}, change)) << where;
    if (verb == "expunge") {
      std::vector<uint32_t> only{uid};
      auto gone = (*box)->expunge(&only);
      ASSERT_TRUE(gone) << where;
      EXPECT_EQ(*gone, only) << where;
    }
  }

  void play(const fs::path& file) {
    std::ifstream in(file);
    ASSERT_TRUE(in) << file;
    std::string raw;
    int number = 0;
    while (std::getline(in, raw)) {
      ++number;
      const std::string where = file.filename().string() + ":" + std::to_string(number);
      if (raw.empty() || raw[0] == '#') continue;
      std::istringstream words(raw);
      std::string bang, verb;
      if (raw[0] == '!') words >> bang >> verb;
      if (verb == "config") {
        EXPECT_TRUE(session_done_) << where << ": config after the session started";
        std::string key, value;
        words >> key >> value;
        configure(key, value, where);
        continue;
      }
      if (verb == "append" && pipe_ == nullptr) {
        other_action(verb, words, where);  // mail before the session
        continue;
      }
      if (session_done_ && pipe_ == nullptr) start();
      if (play_common(raw, where)) continue;
      if (verb == "append" || verb == "flag" || verb == "expunge" || verb == "flags") {
        other_action(verb, words, where);
      } else if (verb == "count") {
        uint32_t n = 0;
        words >> n;
        std::lock_guard lock(accounts_mutex_);
        auto s = other().status({});
        ASSERT_TRUE(s) << where;
        EXPECT_EQ(s->messages, n) << where << ": messages in the INBOX";
      } else {
        ADD_FAILURE() << where << ": unknown transcript line " << raw;
      }
    }
  }

  directory::memory::MemoryDirectory directory_;
  std::unique_ptr<directory::Resolver> resolver_;
  std::unique_ptr<directory::Authenticator> authenticator_;
  std::unique_ptr<directory::AsyncDirectory> async_;
  std::mutex accounts_mutex_;
  std::map<std::string, std::shared_ptr<store::memory::MemoryAccount>> accounts_;
  std::unique_ptr<store::Mailboxes> other_;
  std::string peer_ = "192.0.2.7";
  bool fail_open_ = false;
  Pop3Settings settings_;
  std::unique_ptr<net::asio::thread_pool> pool_;
  std::unique_ptr<SessionContext> context_;
};

std::vector<std::string> transcripts() {
  return test_support::transcript_names(fs::path(HM_TEST_DATA_DIR) / "pop3_session");
}

class Pop3TranscriptTest : public Pop3SessionTest,
                           public ::testing::WithParamInterface<std::string> {};

TEST_P(Pop3TranscriptTest, Matches) {
  play(fs::path(HM_TEST_DATA_DIR) / "pop3_session" / (GetParam() + ".txt"));
}

INSTANTIATE_TEST_SUITE_P(Files, Pop3TranscriptTest, ::testing::ValuesIn(transcripts()),
                         [](const auto& info) { return info.param; });

// The UIDL is the UID and the UIDVALIDITY (known only at run time here),
// and the same in the next session.
TEST_F(Pop3SessionTest, UidlIsUidThenUidValidityAndStable) {
  append("Subject: a\n\nx\n");
  append("Subject: b\n\ny\n");
  uint32_t validity = 0;
  {
    auto box = other().open({}, true);
    ASSERT_TRUE(box);
    validity = (*box)->status().uid_validity;
  }
  char want[32];
  std::snprintf(want, sizeof want, "2 00000002%08X", validity);
  for (int round = 0; round < 2; ++round) {
    start();
    EXPECT_TRUE(glob_match("+OK *", next_line()));
    pipe_->send("USER john@example.org\r\nPASS pw\r\nUIDL 2\r\nQUIT\r\n");
    EXPECT_EQ(next_line(), "+OK Send PASS");
    EXPECT_TRUE(glob_match("+OK Logged in*", next_line()));
    EXPECT_EQ(next_line(), std::string("+OK ") + want);
    EXPECT_TRUE(glob_match("+OK *signing off*", next_line()));
    ASSERT_TRUE(run_until([&] { return session_done_; }));
    io_.restart();
    pool_->join();
  }
}

// A store that cannot open the mailbox: [SYS/TEMP], not a failed login.
TEST_F(Pop3SessionTest, AFailingStoreIsSysTemp) {
  fail_open_ = true;
  start();
  next_line();
  pipe_->send("USER john@example.org\r\nPASS pw\r\n");
  EXPECT_EQ(next_line(), "+OK Send PASS");
  EXPECT_EQ(next_line(), "-ERR [SYS/TEMP] The mailbox is not available now; try again later");
}

}  // namespace
}  // namespace hm::pop3
