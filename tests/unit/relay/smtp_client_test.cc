// relay::SmtpClient against a scripted server: the server's replies are
// queued in a memory stream (tests/support/memory_stream.h) before the
// client runs, and what the client wrote is compared afterwards.
// (No co_await inside EXPECT_*: g++ 12 mishandles the temporaries of a
// co_await in a condition.)

#include "relay/smtp_client.h"

#include <gtest/gtest.h>

#include "support/memory_stream.h"

namespace hm::relay {
namespace {

using test_support::MemoryPipe;

const std::string kEhloFull =
    "220 mx.example.net ESMTP\r\n"
    "250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
const std::string kEhloPlain = "220 mx.example.net ESMTP\r\n250 mx.example.net\r\n";

class SmtpClientTest : public ::testing::Test {
 protected:
  // Runs `body` with a client over a pipe that already holds `script`.
  template <typename Body>
  void run(const std::string& script, Body body, ClientTimeouts timeouts = {}) {
    pipe_ = std::make_shared<MemoryPipe>();
    pipe_->send(script);
    ClientOptions options{"relay.example.org", timeouts};
    options.tls = tls_;
    options.tls_context = tls_ == TlsLevel::kNone ? nullptr : &tls_context_;
    client_ = std::make_unique<SmtpClient>(test_support::make_memory_stream(pipe_), options);
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          co_await body(*client_);
          done = true;
        },
        asio::detached);
    io_.restart();
    io_.run();
    EXPECT_TRUE(done);
  }

  const std::string& written() const { return pipe_->output(); }

  asio::io_context io_;
  TlsLevel tls_ = TlsLevel::kNone;
  asio::ssl::context tls_context_{asio::ssl::context::tls_client};
  std::shared_ptr<MemoryPipe> pipe_;
  std::unique_ptr<SmtpClient> client_;
  std::vector<std::string> two_ = {"a@example.net", "b@example.net"};
};

TEST_F(SmtpClientTest, PipelinedTransactionWithPerRecipientResults) {
  Result<std::vector<RecipientResult>> results;
  run(kEhloFull +
          "250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n354 go\r\n"
          "250 2.0.0 queued as X\r\n",
      [&](SmtpClient& c) -> asio::awaitable<void> {
        Status opened = co_await c.open();
        EXPECT_TRUE(opened);
        EXPECT_TRUE(c.capabilities().pipelining);
        results = co_await c.send(
            OutgoingMessage{"s@example.org", two_, "", "Subject: x\r\n\r\n.dot\r\nend\r\n"});
      });
  ASSERT_TRUE(results) << results.error().describe();
  ASSERT_EQ(results->size(), 2u);
  EXPECT_TRUE((*results)[0].delivered());
  EXPECT_EQ((*results)[0].reply.text(), "250 2.0.0 queued as X");
  EXPECT_FALSE((*results)[1].delivered());
  EXPECT_EQ((*results)[1].reply.text(), "550 5.1.1 no such user");
  // EHLO first; the envelope and DATA in one write; dots doubled.
  EXPECT_EQ(written(),
            "EHLO relay.example.org\r\n"
            "MAIL FROM:<s@example.org> SIZE=25\r\nRCPT TO:<a@example.net>\r\n"
            "RCPT TO:<b@example.net>\r\nDATA\r\n"
            "Subject: x\r\n\r\n..dot\r\nend\r\n.\r\n");
}

TEST_F(SmtpClientTest, HeloWhenEhloIsRefusedAndOneCommandAtATime) {
  Result<std::vector<RecipientResult>> results;
  run("220 old.example.net\r\n502 what?\r\n250 old.example.net\r\n250 ok\r\n250 ok\r\n"
      "250 ok\r\n354 go\r\n250 done\r\n221 bye\r\n",
      [&](SmtpClient& c) -> asio::awaitable<void> {
        Status opened = co_await c.open();
        EXPECT_TRUE(opened);
        EXPECT_FALSE(c.capabilities().pipelining);
        results = co_await c.send(OutgoingMessage{"", two_, "DKIM-Signature: v=1\r\n", "a\r\nb"});
        co_await c.quit();
      });
  ASSERT_TRUE(results) << results.error().describe();
  EXPECT_TRUE((*results)[0].delivered() && (*results)[1].delivered());
  EXPECT_EQ(written(),
            "EHLO relay.example.org\r\nHELO relay.example.org\r\nMAIL FROM:<>\r\n"
            "RCPT TO:<a@example.net>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
            "DKIM-Signature: v=1\r\na\r\nb\r\n.\r\nQUIT\r\n");
}

TEST_F(SmtpClientTest, TwoMessagesOnOneConnection) {
  std::vector<std::string> one = {"a@example.net"};
  int delivered = 0;
  run(kEhloFull + "250 ok\r\n250 ok\r\n354 go\r\n250 first\r\n" +
          "250 ok\r\n250 ok\r\n354 go\r\n250 second\r\n",
      [&](SmtpClient& c) -> asio::awaitable<void> {
        Status opened = co_await c.open();
        EXPECT_TRUE(opened);
        for (int i = 0; i < 2; ++i) {
          auto r = co_await c.send(OutgoingMessage{"s@example.org", one, "", "x\r\n"});
          if (r && (*r)[0].delivered()) ++delivered;
        }
      });
  EXPECT_EQ(delivered, 2);
}

TEST_F(SmtpClientTest, RefusedMailFromAppliesToAllAndResets) {
  Result<std::vector<RecipientResult>> results;
  run(kEhloPlain + "451 4.3.0 try later\r\n250 reset\r\n",
      [&](SmtpClient& c) -> asio::awaitable<void> {
        Status opened = co_await c.open();
        EXPECT_TRUE(opened);
        results = co_await c.send(OutgoingMessage{"s@example.org", two_, "", "x\r\n"});
        EXPECT_TRUE(c.usable());
      });
  ASSERT_TRUE(results);
  for (const RecipientResult& r : *results) EXPECT_EQ(r.reply.text(), "451 4.3.0 try later");
  EXPECT_EQ(written(), "EHLO relay.example.org\r\nMAIL FROM:<s@example.org>\r\nRSET\r\n");
}

TEST_F(SmtpClientTest, DataRefusedAfterPipelinedEnvelope) {
  Result<std::vector<RecipientResult>> results;
  run(kEhloFull + "250 ok\r\n250 ok\r\n250 ok\r\n554 5.7.1 not from you\r\n250 reset\r\n",
      [&](SmtpClient& c) -> asio::awaitable<void> {
        Status opened = co_await c.open();
        EXPECT_TRUE(opened);
        results = co_await c.send(OutgoingMessage{"s@example.org", two_, "", "x\r\n"});
      });
  ASSERT_TRUE(results);
  for (const RecipientResult& r : *results) EXPECT_EQ(r.reply.code, 554);
  EXPECT_EQ(written().substr(written().size() - 12), "DATA\r\nRSET\r\n");
}

TEST_F(SmtpClientTest, NothingSentThatSizeRefuses) {
  Result<std::vector<RecipientResult>> results;
  run(kEhloFull, [&](SmtpClient& c) -> asio::awaitable<void> {
    Status opened = co_await c.open();
    EXPECT_TRUE(opened);
    results = co_await c.send(OutgoingMessage{"s@example.org", two_, "", std::string(1001, 'x')});
  });
  ASSERT_TRUE(results);
  EXPECT_TRUE((*results)[0].local);
  EXPECT_EQ((*results)[0].reply.code, 552);
  EXPECT_EQ(written(), "EHLO relay.example.org\r\n");
}

TEST_F(SmtpClientTest, EightBitAndUtf8OnlyWhenOffered) {
  Result<std::vector<RecipientResult>> eight, utf8;
  run(kEhloPlain, [&](SmtpClient& c) -> asio::awaitable<void> {
    Status opened = co_await c.open();
    EXPECT_TRUE(opened);
    eight = co_await c.send(OutgoingMessage{"s@example.org", two_, "", "caf\xc3\xa9\r\n", true});
    utf8 =
        co_await c.send(OutgoingMessage{"s@example.org", two_, "", "x\r\n", false, /*utf8=*/true});
  });
  ASSERT_TRUE(eight && utf8);
  EXPECT_EQ((*eight)[0].reply.text().substr(0, 10), "554 5.6.3 ");
  EXPECT_EQ((*utf8)[1].reply.text().substr(0, 10), "553 5.6.7 ");
  EXPECT_EQ(written(), "EHLO relay.example.org\r\n");

  run(kEhloFull + "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 done\r\n",
      [&](SmtpClient& c) -> asio::awaitable<void> {
        Status opened = co_await c.open();
        EXPECT_TRUE(opened);
        eight = co_await c.send(OutgoingMessage{"s@example.org", two_, "", "x\r\n", true, true});
      });
  ASSERT_TRUE(eight);
  EXPECT_TRUE((*eight)[0].delivered());
  EXPECT_NE(written().find("MAIL FROM:<s@example.org> SIZE=3 BODY=8BITMIME SMTPUTF8\r\n"),
            std::string::npos);
}

TEST_F(SmtpClientTest, GreetingRefused) {
  Status opened;
  run("554 5.7.1 go away\r\n",
      [&](SmtpClient& c) -> asio::awaitable<void> { opened = co_await c.open(); });
  ASSERT_FALSE(opened);
  EXPECT_FALSE(opened.error().temporary());
  EXPECT_EQ(opened.error().message(), "554 5.7.1 go away");
  std::string temp = "421 4.3.2 busy\r\n";
  run(temp, [&](SmtpClient& c) -> asio::awaitable<void> { opened = co_await c.open(); });
  ASSERT_FALSE(opened);
  EXPECT_TRUE(opened.error().temporary());
}

TEST_F(SmtpClientTest, TimeoutWaitingForAReply) {
  Status opened;
  ClientTimeouts quick;
  quick.greeting = std::chrono::milliseconds(50);
  auto start = std::chrono::steady_clock::now();
  run(
      "", [&](SmtpClient& c) -> asio::awaitable<void> { opened = co_await c.open(); }, quick);
  ASSERT_FALSE(opened);
  EXPECT_TRUE(opened.error().temporary());
  EXPECT_NE(opened.error().message().find("timeout"), std::string::npos)
      << opened.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(SmtpClientTest, MalformedReplyEndsTheConnection) {
  Result<std::vector<RecipientResult>> results;
  run(kEhloPlain + "250-ok\r\n251 changed\r\n", [&](SmtpClient& c) -> asio::awaitable<void> {
    Status opened = co_await c.open();
    EXPECT_TRUE(opened);
    results = co_await c.send(OutgoingMessage{"s@example.org", two_, "", "x\r\n"});
    EXPECT_FALSE(c.usable());
  });
  ASSERT_FALSE(results);
  EXPECT_TRUE(pipe_->closed_by_server());
}

TEST_F(SmtpClientTest, LostConnectionIsTemporary) {
  Result<std::vector<RecipientResult>> results;
  run(kEhloPlain + "250 ok\r\n", [&](SmtpClient& c) -> asio::awaitable<void> {
    Status opened = co_await c.open();
    EXPECT_TRUE(opened);
    pipe_->close_input();
    results = co_await c.send(OutgoingMessage{"s@example.org", two_, "", "x\r\n"});
  });
  ASSERT_FALSE(results);
  EXPECT_TRUE(results.error().temporary());
  EXPECT_EQ(results.error().message().substr(0, 6), "4.4.2 ");
}

TEST_F(SmtpClientTest, RefusesAddressesThatCouldInjectCommands) {
  Result<std::vector<RecipientResult>> results;
  std::vector<std::string> evil = {"a@example.net>\r\nRCPT TO:<b@example.net"};
  run(kEhloPlain, [&](SmtpClient& c) -> asio::awaitable<void> {
    Status opened = co_await c.open();
    EXPECT_TRUE(opened);
    results = co_await c.send(OutgoingMessage{"s@example.org", evil, "", "x\r\n"});
  });
  ASSERT_FALSE(results);
  EXPECT_EQ(written(), "EHLO relay.example.org\r\n");
}

TEST_F(SmtpClientTest, TlsRequiredButNotOffered) {
  tls_ = TlsLevel::kEncrypt;
  Status opened;
  run(kEhloPlain, [&](SmtpClient& c) -> asio::awaitable<void> { opened = co_await c.open(); });
  ASSERT_FALSE(opened);
  EXPECT_TRUE(opened.error().temporary());
  EXPECT_EQ(opened.error().message().substr(0, 6), "4.7.4 ") << opened.error().message();
  EXPECT_EQ(written(), "EHLO relay.example.org\r\n");
}

TEST_F(SmtpClientTest, OpportunisticTlsGoesOnInClearWhenRefused) {
  tls_ = TlsLevel::kMay;
  Status opened;
  run("220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n",
      [&](SmtpClient& c) -> asio::awaitable<void> { opened = co_await c.open(); });
  ASSERT_TRUE(opened) << opened.error().describe();
  EXPECT_EQ(written(), "EHLO relay.example.org\r\nSTARTTLS\r\n");
  tls_ = TlsLevel::kEncrypt;
  run("220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n",
      [&](SmtpClient& c) -> asio::awaitable<void> { opened = co_await c.open(); });
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message().substr(0, 6), "4.7.4 ");
}

TEST_F(SmtpClientTest, NothingTrustedThatCameWithTheStartTlsReply) {
  tls_ = TlsLevel::kMay;
  Status opened;
  // A "250" smuggled behind the 220 (pipelined in clear) must not be taken
  // as an answer after the handshake.
  run("220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n250 injected\r\n",
      [&](SmtpClient& c) -> asio::awaitable<void> { opened = co_await c.open(); });
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message().substr(0, 6), "4.7.0 ");
}

}  // namespace
}  // namespace hm::relay
