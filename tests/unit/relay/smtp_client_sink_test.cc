// relay::SmtpClient over TCP against Postfix's smtp-sink (Debian's postfix
// package) on loopback: a real server's replies, PIPELINING and all, and
// the messages it received read back from its dump file. Skipped when
// smtp-sink is not installed.

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "relay/smtp_client.h"

namespace hm::relay {
namespace {

namespace fs = std::filesystem;
constexpr const char* kSink = "/usr/sbin/smtp-sink";

uint16_t free_port() {
  asio::io_context io;
  net::tcp::acceptor acceptor(io, net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

class SmtpSink {
 public:
  // extra: smtp-sink options, e.g. {"-r", "RCPT"} (4xx to RCPT).
  explicit SmtpSink(std::vector<std::string> extra = {}) {
    std::string pattern = (fs::temp_directory_path() / "hm_sink_test.XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    // smtp-sink drops to nobody (it must, run as root) before it writes.
    fs::permissions(dir_, fs::perms::all);
    port_ = free_port();
    std::vector<std::string> args = {kSink, "-u", "nobody", "-D", (dir_ / "dump").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("127.0.0.1:" + std::to_string(port_));
    args.push_back("10");
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(kSink, argv.data());
      _exit(127);
    }
    // Ready once it accepts.
    for (int i = 0; i < 100; ++i) {
      asio::io_context io;
      net::tcp::socket s(io);
      boost::system::error_code error;
      s.connect(net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), error);
      if (!error) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~SmtpSink() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  uint16_t port() const { return port_; }
  std::string dump() const {
    std::ifstream in(dir_ / "dump");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// A client connected to 127.0.0.1:port, past EHLO; nullptr (and a test
// failure) if that did not work.
asio::awaitable<std::unique_ptr<SmtpClient>> open_client(uint16_t port) {
  auto stream = co_await connect_tcp("127.0.0.1", port, std::chrono::seconds(5));
  EXPECT_TRUE(stream);
  if (!stream) co_return nullptr;
  auto client =
      std::make_unique<SmtpClient>(std::move(*stream), ClientOptions{"relay.example.org", {}});
  Status opened = co_await client->open();
  EXPECT_TRUE(opened);
  if (!opened) co_return nullptr;
  co_return client;
}

template <typename Body>
void run(Body body) {
  asio::io_context io;
  bool done = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await body();
        done = true;
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(done);
}

class SmtpClientSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kSink, X_OK) != 0) GTEST_SKIP() << "smtp-sink (Debian's postfix) is not installed";
  }
};

TEST_F(SmtpClientSinkTest, TwoMessagesOnOneConnection) {
  SmtpSink sink;
  std::vector<std::string> recipients = {"a@example.net", "b@example.net"};
  std::vector<Result<std::vector<RecipientResult>>> results;
  bool pipelining = false;
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<SmtpClient> opened = co_await open_client(sink.port());
    if (!opened) co_return;
    SmtpClient& client = *opened;
    pipelining = client.capabilities().pipelining;
    const std::string first = "Subject: first\r\n\r\n.leading dot\r\nbody one\r\n";
    const std::string second = "Subject: second\r\n\r\nbody two\r\n";
    results.push_back(
        co_await client.send(OutgoingMessage{"s@example.org", recipients, "", first}));
    results.push_back(co_await client.send(OutgoingMessage{"", recipients, "", second}));
    co_await client.quit();
  });
  EXPECT_TRUE(pipelining);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    ASSERT_TRUE(r) << r.error().describe();
    for (const RecipientResult& one : *r) EXPECT_TRUE(one.delivered()) << one.reply.text();
  }
  std::string dump = sink.dump();
  EXPECT_NE(dump.find("Subject: first"), std::string::npos) << dump;
  EXPECT_NE(dump.find("\n.leading dot"), std::string::npos) << dump;  // unstuffed again
  EXPECT_NE(dump.find("Subject: second"), std::string::npos) << dump;
  EXPECT_NE(dump.find("b@example.net"), std::string::npos) << dump;
}

TEST_F(SmtpClientSinkTest, SoftRejectedRecipientsWithoutPipelining) {
  SmtpSink sink({"-r", "RCPT"});  // 4xx to RCPT, and no PIPELINING
  std::vector<std::string> recipients = {"a@example.net"};
  Result<std::vector<RecipientResult>> result;
  run([&]() -> asio::awaitable<void> {
    std::unique_ptr<SmtpClient> opened = co_await open_client(sink.port());
    if (!opened) co_return;
    SmtpClient& client = *opened;
    result = co_await client.send(OutgoingMessage{"s@example.org", recipients, "", "x\r\n"});
    co_await client.quit();
  });
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_TRUE((*result)[0].reply.temporary()) << (*result)[0].reply.text();
  EXPECT_EQ(sink.dump(), "");
}

TEST(ConnectTcp, RefusedIsTemporary) {
  uint16_t port = free_port();  // nobody listens there now
  Result<std::unique_ptr<net::Stream>> stream;
  run([&]() -> asio::awaitable<void> {
    stream = co_await connect_tcp("127.0.0.1", port, std::chrono::seconds(5));
  });
  ASSERT_FALSE(stream);
  EXPECT_TRUE(stream.error().temporary());
  EXPECT_EQ(stream.error().message().substr(0, 6), "4.4.1 ");
}

}  // namespace
}  // namespace hm::relay
