// The IMAP session driven in-process over a stream in memory: no socket, no
// daemon; the real session code with the real Authenticator (over a
// directory in memory) and the store in memory (store/memory). Transcripts in
// tests/data/imap_session/*.txt say what a client sends and what the server
// must answer; adding a case from a bug report is adding a file. Syntax, a
// line each:
//   C: <line>     the client sends the line and CRLF (escapes as in
//                 escapes.h; "C+ " sends it without the CRLF)
//   S: <line>     the next line the server sends, without its CRLF; "*"
//                 matches any run of characters
//   ! config <key> <value>   before the first C:/S: line: plaintext
//                 (always|never|loopback), namespace (dovecot|courier),
//                 append_limit, line_length, errors (errors_per_session),
//                 idle_timeout (seconds), peer (the client's address)
//   ! append <mailbox> <text>        another session appends a message
//   ! flag <mailbox> <uid> <flag>    another session adds seen|flagged|deleted
//   ! expunge <mailbox> <uid>        another session expunges that message
//   ! refused <tag>                  the last S: line was that tag's NO or BAD
//   ! folders <names...>             the account's folders are exactly these
//   ! count <mailbox> <n>            the mailbox holds n messages
//   ! silent <ms>                    the server sends nothing for that long
//   ! close / ! closed               as in the SMTP transcripts
// Mailboxes in "!" lines are the store's names, parts joined by '/', INBOX
// for the INBOX. Consecutive C: lines go out together (pipelined).

#include "imap/session/session.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "auth/password_scheme.h"
#include "directory/authenticator.h"
#include "directory/memory/memory_directory.h"
#include "directory/resolver.h"
#include "escapes.h"
#include "imap/session/account_opener.h"
#include "memory_stream.h"
#include "session_fixture.h"
#include "store/memory/memory_store.h"

namespace hm::imap {
namespace {

namespace fs = std::filesystem;
using test_support::MemoryPipe;

using test_support::glob_match;

store::FolderName folder_of(const std::string& name) {
  store::FolderName f;
  if (name == "INBOX") return f;
  std::stringstream in(name);
  std::string part;
  while (std::getline(in, part, '/')) f.push_back(part);
  return f;
}

class ImapSessionTest : public test_support::SessionFixture {
 protected:
  void SetUp() override {
    directory::Actor admin{"admin", ""};
    ASSERT_TRUE(directory_.add_domain(admin, {"example.org"}, {}));
    auto hash = auth::hash_password("pw", "SSHA");
    ASSERT_TRUE(hash);
    for (const char* user : {"john", "mary", "noimap"}) {
      directory::Account a;
      a.address = std::string(user) + "@example.org";
      a.mailbox = std::string("example.org/") + user + "/";
      a.password_hash = *hash;
      a.disable_imap = std::string(user) == "noimap";
      ASSERT_TRUE(directory_.add_account(admin, a));
    }
    resolver_ = std::make_unique<directory::Resolver>(directory_, directory::ResolverOptions{});
    authenticator_ =
        std::make_unique<directory::Authenticator>(directory_, directory::AuthenticatorOptions{});
    async_ = std::make_unique<directory::AsyncDirectory>(*resolver_, *authenticator_, 1,
                                                         std::chrono::seconds(5));
    settings_.hostname = "imap.test";
    settings_.plaintext_login = PlaintextLogin::kAlways;
    settings_.worker_threads = 1;
    settings_.idle_poll = std::chrono::milliseconds(50);
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
    if (!a) a = store::memory::make_memory_account(quota_);
    return a;
  }

  // Another session of the same account (as a second client or a delivery).
  store::Mailboxes& other(const std::string& user = "john@example.org") {
    auto& boxes = others_[user];
    if (!boxes) boxes = store::memory::open(account(user));
    return *boxes;
  }

  void start() {
    pool_ = std::make_unique<net::asio::thread_pool>(1);
    AccountOpener opener =
        [this](const directory::Principal& who) -> Result<std::unique_ptr<store::Mailboxes>> {
      std::lock_guard lock(accounts_mutex_);
      return store::memory::open(account(who.name));
    };
    context_.reset(new SessionContext{settings_, *async_, std::move(opener), *pool_, nullptr});
    start_session(peer_, [this](net::Connection& connection) -> net::asio::awaitable<void> {
      Session session(*context_, connection);
      co_await connection.run(session.run());
    });
  }

  void configure(const std::string& key, const std::string& value, const std::string& where) {
    if (key == "plaintext") {
      settings_.plaintext_login = value == "never"    ? PlaintextLogin::kNever
                                  : value == "always" ? PlaintextLogin::kAlways
                                                      : PlaintextLogin::kLoopback;
    } else if (key == "namespace") {
      settings_.namespace_style =
          value == "courier" ? NamespaceStyle::kCourier : NamespaceStyle::kDovecot;
    } else if (key == "append_limit") {
      settings_.append_limit = std::stoull(value);
    } else if (key == "line_length") {
      settings_.line_length = static_cast<uint32_t>(std::stoul(value));
    } else if (key == "errors") {
      settings_.errors_per_session = static_cast<uint32_t>(std::stoul(value));
    } else if (key == "idle_timeout") {
      settings_.idle_timeout = std::chrono::seconds(std::stoul(value));
    } else if (key == "peer") {
      peer_ = value;
    } else if (key == "quota") {
      quota_ = std::stoull(value);
    } else {
      ADD_FAILURE() << where << ": unknown setting " << key;
    }
  }

  uint32_t parse_flag(const std::string& name) {
    if (name == "seen") return store::kFlagSeen;
    if (name == "flagged") return store::kFlagFlagged;
    if (name == "deleted") return store::kFlagDeleted;
    return 0;
  }

  // Runs a store call of "another session" while the session's worker may
  // be using its own objects of the account (allowed: mailbox.h).
  void other_action(const std::string& verb, std::istringstream& words, const std::string& where) {
    std::string mailbox;
    words >> mailbox;
    std::lock_guard lock(accounts_mutex_);
    if (verb == "append") {
      std::string text;
      std::getline(words >> std::ws, text);
      store::AppendMessage m;
      m.text = test_support::unescape(text);
      auto r = other().append(folder_of(mailbox), {m});
      EXPECT_TRUE(r) << where << ": " << r.error().describe();
      return;
    }
    uint32_t uid = 0;
    std::string flag;
    words >> uid >> flag;
    auto box = other().open(folder_of(mailbox), false);
    ASSERT_TRUE(box) << where << ": " << box.error().describe();
    store::FlagChange change;
    change.mode = store::FlagChange::Mode::kAdd;
    change.flags =
        static_cast<uint8_t>(verb == "expunge" ? uint32_t{store::kFlagDeleted} : parse_flag(flag));
    auto set = (*box)->set_flags({uid}, change);
    ASSERT_TRUE(set) << where << ": " << set.error().describe();
    if (verb == "expunge") {
      std::vector<uint32_t> only{uid};
      auto gone = (*box)->expunge(&only);
      ASSERT_TRUE(gone) << where << ": " << gone.error().describe();
      EXPECT_EQ(*gone, only) << where;
    }
  }

  void check_folders(std::istringstream& words, const std::string& where) {
    std::vector<std::string> want, got;
    for (std::string w; words >> w;) want.push_back(w);
    std::lock_guard lock(accounts_mutex_);
    auto list = other().list();
    ASSERT_TRUE(list) << where;
    for (const store::FolderInfo& f : *list) {
      std::string name;
      for (const std::string& p : f.name) name += (name.empty() ? "" : "/") + p;
      got.push_back(name);
    }
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want) << where;
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
      if (session_done_ && pipe_ == nullptr) start();
      if (play_common(raw, where)) {
        continue;
      } else if (verb == "append" || verb == "flag" || verb == "expunge") {
        other_action(verb, words, where);
      } else if (verb == "refused") {
        std::string tag;
        words >> tag;
        EXPECT_TRUE(last_line_.rfind(tag + " NO ", 0) == 0 ||
                    last_line_.rfind(tag + " BAD ", 0) == 0)
            << where << ": not refused: " << test_support::escape(last_line_);
      } else if (verb == "folders") {
        check_folders(words, where);
      } else if (verb == "count") {
        std::string mailbox;
        uint32_t n = 0;
        words >> mailbox >> n;
        std::lock_guard lock(accounts_mutex_);
        auto s = other().status(folder_of(mailbox));
        ASSERT_TRUE(s) << where;
        EXPECT_EQ(s->messages, n) << where << ": messages in " << mailbox;
      } else if (verb == "silent") {
        int ms = 0;
        words >> ms;
        const size_t before = pipe_->output().size();
        run_until([] { return false; }, std::chrono::milliseconds(ms));
        EXPECT_EQ(pipe_->output().substr(before), "") << where << ": unexpected output";
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
  std::map<std::string, std::unique_ptr<store::Mailboxes>> others_;
  uint64_t quota_ = 0;
  std::string peer_ = "192.0.2.7";
  ImapSettings settings_;
  std::unique_ptr<net::asio::thread_pool> pool_;
  std::unique_ptr<SessionContext> context_;
};

std::vector<std::string> transcripts() {
  return test_support::transcript_names(fs::path(HM_TEST_DATA_DIR) / "imap_session");
}

class ImapTranscriptTest : public ImapSessionTest,
                           public ::testing::WithParamInterface<std::string> {};

TEST_P(ImapTranscriptTest, Matches) {
  play(fs::path(HM_TEST_DATA_DIR) / "imap_session" / (GetParam() + ".txt"));
}

INSTANTIATE_TEST_SUITE_P(Files, ImapTranscriptTest, ::testing::ValuesIn(transcripts()),
                         [](const auto& info) { return info.param; });

// A directory outage is no failed login: NO [UNAVAILABLE], and the client
// may try again (no error counted towards the BYE).
TEST_F(ImapSessionTest, ADirectoryOutageIsUnavailableNotAFailedLogin) {
  settings_.errors_per_session = 1;
  directory_.set_unavailable(true);
  start();
  next_line();
  pipe_->send("a1 LOGIN john@example.org pw\r\n");
  EXPECT_TRUE(glob_match("a1 NO [UNAVAILABLE] *", next_line()));
  directory_.set_unavailable(false);
  pipe_->send("a2 LOGIN john@example.org pw\r\n");
  EXPECT_TRUE(glob_match("a2 OK [CAPABILITY *] Logged in", next_line()));
}

// A store that fails (I/O, a lock not got in time) is a temporary refusal,
// with the detail in the log only; the session goes on.
TEST_F(ImapSessionTest, AFailingStoreIsUnavailable) {
  start();
  next_line();
  pipe_->send("a1 LOGIN john@example.org pw\r\n");
  EXPECT_TRUE(glob_match("a1 OK *", next_line()));
  account("john@example.org")->set_unavailable(true);
  pipe_->send("a2 SELECT INBOX\r\na3 CREATE x\r\n");
  EXPECT_EQ(next_line(), "a2 NO [UNAVAILABLE] Temporary failure; try again later");
  EXPECT_EQ(next_line(), "a3 NO [UNAVAILABLE] Temporary failure; try again later");
  account("john@example.org")->set_unavailable(false);
  pipe_->send("a4 SELECT INBOX\r\n");
  std::string line;
  do {
    line = next_line();
  } while (!line.empty() && line.rfind("a4 ", 0) != 0);
  EXPECT_EQ(line, "a4 OK [READ-WRITE] SELECT completed");
}

// Guessing is throttled by the Authenticator: past its limit a login is
// refused for a while without a password check, and the client is told to
// wait rather than that the password was wrong.
TEST_F(ImapSessionTest, RepeatedFailedLoginsAreThrottled) {
  settings_.errors_per_session = 1000;
  start();
  next_line();
  std::string line;
  for (int i = 0; i < 30 && line.find("[UNAVAILABLE]") == std::string::npos; ++i) {
    pipe_->send("a LOGIN john@example.org wrong\r\n");
    line = next_line();
  }
  EXPECT_TRUE(glob_match("a NO [UNAVAILABLE] too many failed logins; try again in * seconds", line))
      << line;
  // The right password is refused too while the throttle holds.
  pipe_->send("b LOGIN john@example.org pw\r\n");
  EXPECT_TRUE(glob_match("b NO [UNAVAILABLE] *", next_line()));
}

// The production opener: shell accounts and the superuser get a clear
// refusal (their sessions need a process of their own), a virtual account
// its Maildir at the place the store gives.
TEST(AccountOpener, RefusesShellAccountsAndTheSuperuserAndOpensVirtualOnes) {
  class FakeStore final : public store::MailStore {
   public:
    Result<store::Location> virtual_location(std::string_view address,
                                             std::string_view mailbox) const override {
      asked = std::string(address) + " " + std::string(mailbox);
      return store::Location{"/nowhere/", static_cast<uid_t>(-1), static_cast<gid_t>(-1)};
    }
    Result<store::Location> local_location(std::string_view) const override {
      return fail(ErrorKind::kInternal, "not used");
    }
    std::vector<Result<std::string>> save(const store::StoredMessage&,
                                          const std::vector<store::Location>&) override {
      return {};
    }
    Result<std::unique_ptr<store::Mailboxes>> open_mailboxes(const store::Location& l,
                                                             uint64_t quota) override {
      opened = l.path + " " + std::to_string(quota);
      return store::memory::open(store::memory::make_memory_account(quota));
    }
    mutable std::string asked;
    std::string opened;
  };
  directory::memory::MemoryDirectory directory;
  directory::Actor admin{"admin", ""};
  ASSERT_TRUE(directory.add_domain(admin, {"example.org"}, {}));
  directory::Account a;
  a.address = "john@example.org";
  a.mailbox = "example.org/john/";
  a.quota_bytes = 4096;
  ASSERT_TRUE(directory.add_account(admin, a));
  FakeStore store;
  AccountOpener open = make_account_opener(directory, store);
  directory::Principal local{directory::Principal::Kind::kLocal, "joe", {}};
  auto refused = open(local);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind(), ErrorKind::kPermission);
  EXPECT_NE(refused.error().message().find("shell accounts"), std::string::npos);
  directory::Principal root{directory::Principal::Kind::kSuperuser, "admin", {}};
  EXPECT_FALSE(open(root));
  EXPECT_EQ(store.asked, "");
  directory::Principal john{directory::Principal::Kind::kVirtual, "john@example.org", {}};
  EXPECT_TRUE(open(john));
  EXPECT_EQ(store.asked, "john@example.org example.org/john/");
  EXPECT_EQ(store.opened, "/nowhere/ 4096");
}

// RFC 7162 3.2.5: a client reconnecting with its UIDVALIDITY, last MODSEQ
// and the UIDs it knows learns what vanished among those and what changed.
// (A test, not a transcript: the UIDVALIDITY is only known at run time.)
TEST_F(ImapSessionTest, QresyncSelectSaysWhatVanishedAndWhatChanged) {
  for (int i = 0; i < 4; ++i) {
    store::AppendMessage m;
    m.text = "Subject: " + std::to_string(i) + "\n\nx\n";
    ASSERT_TRUE(other().append({}, {m}));
  }
  uint32_t validity = 0;
  uint64_t modseq = 0;
  {
    auto box = other().open({}, true);
    ASSERT_TRUE(box);
    validity = (*box)->status().uid_validity;
    modseq = (*box)->status().highest_modseq;
  }
  {
    auto box = other().open({}, false);
    ASSERT_TRUE(box);
    store::FlagChange change;
    change.flags = store::kFlagDeleted;
    ASSERT_TRUE((*box)->set_flags({1, 3}, change));
    ASSERT_TRUE((*box)->expunge(nullptr));
    change.flags = store::kFlagSeen;
    ASSERT_TRUE((*box)->set_flags({4}, change));
  }
  start();
  next_line();
  pipe_->send("a1 LOGIN john@example.org pw\r\na2 ENABLE QRESYNC\r\n");
  EXPECT_TRUE(glob_match("a1 OK *", next_line()));
  next_line();
  EXPECT_EQ(next_line(), "a2 OK ENABLE completed");
  // The client knew UIDs 1:2 (so 3's expunge is not its business).
  pipe_->send("a3 SELECT INBOX (QRESYNC (" + std::to_string(validity) + " " +
              std::to_string(modseq) + " 1:2))\r\n");
  std::vector<std::string> lines;
  for (std::string l = next_line(); !l.empty() && l.rfind("a3 ", 0) != 0; l = next_line()) {
    lines.push_back(l);
  }
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[lines.size() - 2], "* VANISHED (EARLIER) 1");
  EXPECT_TRUE(glob_match("* 2 FETCH (UID 4 FLAGS (\\Seen) MODSEQ (*))", lines.back()))
      << lines.back();
  // A wrong UIDVALIDITY: no VANISHED, no FETCH (the client must resync).
  pipe_->send("a4 SELECT INBOX (QRESYNC (" + std::to_string(validity + 1) + " " +
              std::to_string(modseq) + "))\r\n");
  for (std::string l = next_line(); !l.empty() && l.rfind("a4 ", 0) != 0; l = next_line()) {
    EXPECT_EQ(l.find("VANISHED"), std::string::npos) << l;
    EXPECT_EQ(l.find("FETCH"), std::string::npos) << l;
  }
}

}  // namespace
}  // namespace hm::imap
