// relay::SmtpClient over TCP against Postfix's smtp-sink (Debian's postfix
// package) on loopback: a real server's replies, PIPELINING and all, and
// the messages it received read back from its dump file. Skipped when
// smtp-sink is not installed.

#include <unistd.h>

#include <gtest/gtest.h>

#include "relay/smtp_client.h"
#include "smtp_sink.h"

namespace hm::relay {
namespace {

using test::free_port;
using test::kSink;
using test::SmtpSink;

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
