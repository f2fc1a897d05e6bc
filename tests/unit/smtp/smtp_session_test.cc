// The SMTP session driven in-process over a stream in memory: no socket, no
// daemon, the real session code with the real directory lookups and Maildir
// delivery. Transcripts in tests/data/smtp_session/*.txt say what a client
// sends and what the server must answer; adding a case from a bug report is
// adding a file. Syntax, a line each:
//   C: <line>     the client sends the line and CRLF (escapes as in
//                 escapes.h; "C+ " sends it without the CRLF)
//   S: <line>     the next line the server sends, without its CRLF; "*"
//                 matches any run of characters
//   ! close       the client closes its side
//   ! closed      the server has closed the connection by now
//   ! maildir <mailbox> <n>   the mailbox's new/ holds n messages
// Consecutive C: lines go out together (pipelined), then the S: lines that
// follow are awaited.

#include "smtp/smtp_session.h"

#include <stdlib.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "directory/authenticator.h"
#include "directory/memory/memory_directory.h"
#include "directory/resolver.h"
#include "escapes.h"
#include "memory_stream.h"
#include "queue/queue.h"
#include "session_fixture.h"

namespace hm::smtp {
namespace {

namespace fs = std::filesystem;
using test_support::MemoryPipe;

using test_support::glob_match;

class SmtpSessionTest : public test_support::SessionFixture {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hm-smtp-session-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    directory::Actor admin{"admin", ""};
    ASSERT_TRUE(directory_.add_domain(admin, {"example.org"}, {}));
    for (const char* user : {"john", "mary"}) {
      directory::Account a;
      a.address = std::string(user) + "@example.org";
      a.mailbox = std::string("example.org/") + user + "/";
      ASSERT_TRUE(directory_.add_account(admin, a));
    }
    auto q = queue::Queue::open(root_ + "/state", /*fsync=*/false);
    ASSERT_TRUE(q) << q.error().describe();
    queue_ = std::make_unique<queue::Queue>(std::move(*q));
    resolver_ = std::make_unique<directory::Resolver>(directory_, directory::ResolverOptions{});
    authenticator_ =
        std::make_unique<directory::Authenticator>(directory_, directory::AuthenticatorOptions{});
    async_ = std::make_unique<directory::AsyncDirectory>(*resolver_, *authenticator_, 1,
                                                         std::chrono::seconds(5));
    delivery::DeliveryOptions o;
    o.virtual_base = root_ + "/vmail";
    o.hostname = "mx.test";
    o.fsync = false;
    agent_ = std::make_unique<delivery::DeliveryAgent>(o, *queue_);
    settings_.hostname = "mx.test";
    settings_.max_message_size = 4096;
    settings_.max_recipients = 2;
    settings_.line_length = 200;
    settings_.errors_per_session = 4;
    settings_.delivery_threads = 1;
  }

  void TearDown() override {
    io_.stop();
    context_.reset();
    pool_.reset();
    fs::remove_all(root_);
  }

  // Starts a session from client address 192.0.2.7 over a fresh pipe.
  void start() {
    pool_ = std::make_unique<net::asio::thread_pool>(1);
    context_.reset(new SessionContext{settings_, *async_, *agent_, *pool_, nullptr});
    start_session("192.0.2.7", [this](net::Connection& connection) -> net::asio::awaitable<void> {
      Session session(*context_, connection);
      co_await connection.run(session.run());
    });
  }

  size_t inbox(const std::string& mailbox) {
    const fs::path dir = fs::path(root_) / "vmail" / mailbox / "new";
    if (!fs::is_directory(dir)) return 0;
    return std::distance(fs::directory_iterator(dir), fs::directory_iterator());
  }

  // Plays a transcript file; failures name the file and line.
  void play(const fs::path& file) {
    std::ifstream in(file);
    ASSERT_TRUE(in) << file;
    start();
    std::string raw;
    int number = 0;
    while (std::getline(in, raw)) {
      ++number;
      const std::string where = file.filename().string() + ":" + std::to_string(number);
      if (raw.empty() || raw[0] == '#') continue;
      if (play_common(raw, where)) {
        continue;
      } else if (raw.rfind("! maildir ", 0) == 0) {
        std::istringstream words(raw.substr(10));
        std::string mailbox;
        size_t count = 0;
        words >> mailbox >> count;
        EXPECT_EQ(inbox(mailbox), count) << where << ": messages in " << mailbox;
      } else {
        ADD_FAILURE() << where << ": unknown transcript line " << raw;
      }
    }
  }

  std::string root_;
  directory::memory::MemoryDirectory directory_;
  std::unique_ptr<queue::Queue> queue_;
  std::unique_ptr<directory::Resolver> resolver_;
  std::unique_ptr<directory::Authenticator> authenticator_;
  std::unique_ptr<directory::AsyncDirectory> async_;
  std::unique_ptr<delivery::DeliveryAgent> agent_;
  SmtpSettings settings_;
  std::unique_ptr<net::asio::thread_pool> pool_;
  std::unique_ptr<SessionContext> context_;
};

std::vector<std::string> transcripts() {
  return test_support::transcript_names(fs::path(HM_TEST_DATA_DIR) / "smtp_session");
}

class SmtpTranscriptTest : public SmtpSessionTest,
                           public ::testing::WithParamInterface<std::string> {};

TEST_P(SmtpTranscriptTest, Matches) {
  play(fs::path(HM_TEST_DATA_DIR) / "smtp_session" / (GetParam() + ".txt"));
}

INSTANTIATE_TEST_SUITE_P(Files, SmtpTranscriptTest, ::testing::ValuesIn(transcripts()),
                         [](const auto& info) { return info.param; });

TEST_F(SmtpSessionTest, AMessageIsInItsMaildirWhenTheClientHearsOk) {
  start();
  EXPECT_TRUE(glob_match("220 mx.test ESMTP hostmail", next_line()));
  pipe_->send("HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<john@example.org>\r\nDATA\r\n");
  for (int i = 0; i < 4; ++i) next_line();
  pipe_->send("Subject: hi\r\n\r\nbody\r\n.\r\n");
  EXPECT_TRUE(glob_match("250 2.0.0 Ok: queued as *", next_line()));
  EXPECT_EQ(inbox("example.org/john"), 1u);
  // One copy, line ends as on disk (LF), our Received: header first.
  const fs::path new_dir = fs::path(root_) / "vmail/example.org/john/new";
  std::ifstream file(fs::directory_iterator(new_dir)->path(), std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_NE(text.str().find("Received: from c ([192.0.2.7])\n\tby mx.test (hostmail) with SMTP"),
            std::string::npos)
      << text.str();
  EXPECT_NE(text.str().find("Subject: hi\n\nbody\n"), std::string::npos) << text.str();
}

TEST_F(SmtpSessionTest, AnIdleClientIsToldAndCutOff) {
  settings_.command_timeout = std::chrono::seconds(1);
  start();
  next_line();
  pipe_->send("EHLO slow.example\r\n");
  while (next_line().rfind("250 ", 0) != 0) {
  }
  const auto start_time = std::chrono::steady_clock::now();
  EXPECT_TRUE(glob_match("421 4.4.2 mx.test Timeout, closing connection", next_line()));
  EXPECT_GE(std::chrono::steady_clock::now() - start_time, std::chrono::milliseconds(900));
  EXPECT_TRUE(run_until([&] { return session_done_; }));
  EXPECT_TRUE(pipe_->closed_by_server());
}

TEST_F(SmtpSessionTest, ATrickleOfDataCannotHoldTheSessionForEver) {
  // One byte at a time keeps a silence timer happy; the average rate is
  // what counts (data_min_rate).
  settings_.data_timeout = std::chrono::seconds(1);
  settings_.data_min_rate = 1000;
  start();
  next_line();
  pipe_->send("HELO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<john@example.org>\r\nDATA\r\n");
  for (int i = 0; i < 4; ++i) next_line();
  const auto start_time = std::chrono::steady_clock::now();
  bool cut_off = false;
  while (std::chrono::steady_clock::now() - start_time < std::chrono::seconds(5)) {
    pipe_->send("x");
    io_.run_for(std::chrono::milliseconds(300));
    if (pipe_->output().find("421 4.4.2", read_) != std::string::npos) {
      cut_off = true;
      break;
    }
  }
  EXPECT_TRUE(cut_off) << pipe_->output();
  EXPECT_EQ(inbox("example.org/john"), 0u);
}

}  // namespace
}  // namespace hm::smtp
