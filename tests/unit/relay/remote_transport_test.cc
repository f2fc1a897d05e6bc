// relay::RemoteTransport end to end inside one process: a DNS server on
// loopback (dns_responder.h, on a thread of its own) sends the mail to
// Postfix's smtp-sink (smtp_sink.h) on 127.0.0.1, as the daemon's queue
// runner would call the transport.

#include "relay/remote_transport.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <thread>

#include "directory/memory/memory_directory.h"
#include "dns_responder.h"
#include "smtp_sink.h"

namespace hm::relay {
namespace {

using delivery::TransportOutcome;
namespace asio = net::asio;

class RemoteTransportTest : public ::testing::Test {
 protected:
  RemoteTransportTest() : dns_server_(dns_io_) {}

  void SetUp() override {
    if (access(test::kSink, X_OK) != 0) GTEST_SKIP() << "smtp-sink is not installed";
  }

  ~RemoteTransportTest() override {
    dns_io_.stop();
    if (dns_thread_.joinable()) dns_thread_.join();
  }

  // The DNS server answers from its thread from now on: set the zone first.
  void start_dns() {
    dns_thread_ = std::thread([this] {
      auto guard = asio::make_work_guard(dns_io_);
      dns_io_.run();
    });
  }

  std::vector<TransportOutcome> deliver(uint16_t smtp_port, const std::vector<std::string>& to,
                                        const std::string& text,
                                        std::vector<std::pair<std::string, std::string>> map = {},
                                        const dkim::KeyStore* keys = nullptr,
                                        const std::string& sender = "s@example.org") {
    if (!dns_thread_.joinable()) start_dns();
    RemoteOptions options;
    options.helo_name = "relay.example.org";
    options.dns_servers = {dns_server_.server()};
    options.dns_timeout_ms = 300;
    options.dns_tries = 1;
    options.smtp_port = smtp_port;
    options.connect_timeout = std::chrono::seconds(5);
    options.reply_timeout = std::chrono::seconds(10);
    RemoteTransport transport(*Router::create(map, ""), options, keys);
    std::vector<queue::QueuedRecipient> recipients;
    for (const std::string& address : to) {
      queue::QueuedRecipient r;
      r.address = r.original = address;
      r.route = {queue::Route::Kind::kRemote, std::string(address.substr(address.find('@') + 1))};
      recipients.push_back(r);
    }
    std::vector<const queue::QueuedRecipient*> pointers;
    for (const auto& r : recipients) pointers.push_back(&r);
    std::string id = "test-id";
    std::function<Result<std::string_view>()> read = [&]() -> Result<std::string_view> {
      return std::string_view(text);
    };
    directory::memory::MemoryDirectory directory;
    return transport.deliver(
        delivery::QueuedMessage{id, sender, read}, pointers,
        delivery::TransportContext{directory, std::chrono::system_clock::now()});
  }

  asio::io_context dns_io_;
  test::DnsResponder dns_server_;
  std::thread dns_thread_;
  const std::string message_ =
      "From: s@example.org\r\nTo: a@example.net\r\nSubject: hi\r\n\r\nhello\r\n";
};

TEST_F(RemoteTransportTest, DeliveredThroughTheMxHost) {
  test::SmtpSink sink;
  dns_server_.mx("example.net", 10, "mx.example.net");
  dns_server_.a("mx.example.net", "127.0.0.1");
  auto outcomes = deliver(sink.port(), {"a@example.net", "b@example.net"}, message_);
  ASSERT_EQ(outcomes.size(), 2u);
  for (const auto& o : outcomes) EXPECT_EQ(o.kind, TransportOutcome::kDone) << o.text;
  EXPECT_NE(sink.dump().find("Subject: hi"), std::string::npos);
}

TEST_F(RemoteTransportTest, SecondMxWhenTheFirstCannotBeReached) {
  test::SmtpSink sink;
  dns_server_.mx("example.net", 10, "down.example.net");
  dns_server_.a("down.example.net", "127.0.0.2");  // nothing listens there
  dns_server_.mx("example.net", 20, "up.example.net");
  dns_server_.a("up.example.net", "127.0.0.1");
  auto outcomes = deliver(sink.port(), {"a@example.net"}, message_);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, TransportOutcome::kDone) << outcomes[0].text;
}

TEST_F(RemoteTransportTest, TemporaryRefusalIsRetried) {
  test::SmtpSink sink({"-r", "RCPT"});
  dns_server_.mx("example.net", 10, "mx.example.net");
  dns_server_.a("mx.example.net", "127.0.0.1");
  auto outcomes = deliver(sink.port(), {"a@example.net"}, message_);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, TransportOutcome::kLater);
  EXPECT_EQ(outcomes[0].text.substr(0, 4), "450 ") << outcomes[0].text;
  EXPECT_NE(outcomes[0].text.find("(in reply from mx.example.net [127.0.0.1])"), std::string::npos)
      << outcomes[0].text;
}

TEST_F(RemoteTransportTest, NullMxAndNxdomainBounce) {
  dns_server_.mx("nomail.example", 0, ".");
  auto outcomes = deliver(test::free_port(), {"a@nomail.example", "b@missing.example"}, message_);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].kind, TransportOutcome::kNever);
  EXPECT_EQ(outcomes[0].text.rfind("5.1.10 ", 0), 0u) << outcomes[0].text;
  EXPECT_EQ(outcomes[1].kind, TransportOutcome::kNever);
  EXPECT_EQ(outcomes[1].text.rfind("5.1.2 ", 0), 0u) << outcomes[1].text;
}

TEST_F(RemoteTransportTest, NoServerUpIsTemporary) {
  dns_server_.mx("example.net", 10, "mx.example.net");
  dns_server_.a("mx.example.net", "127.0.0.1");
  auto outcomes = deliver(test::free_port(), {"a@example.net"}, message_);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, TransportOutcome::kLater);
  EXPECT_EQ(outcomes[0].text.rfind("4.4.1 ", 0), 0u) << outcomes[0].text;
}

TEST_F(RemoteTransportTest, TransportMapDiscardErrorAndExplicitHost) {
  test::SmtpSink sink;
  auto outcomes =
      deliver(sink.port(), {"a@gone.example", "b@dropped.example", "c@direct.example"}, message_,
              {{"gone.example", "error:5.1.2 gone.example is no more"},
               {"dropped.example", "discard"},
               {"direct.example", "smtp:[127.0.0.1]:" + std::to_string(sink.port())}});
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].kind, TransportOutcome::kNever);
  EXPECT_EQ(outcomes[0].text, "5.1.2 gone.example is no more");
  EXPECT_EQ(outcomes[1].kind, TransportOutcome::kDone);
  EXPECT_EQ(outcomes[2].kind, TransportOutcome::kDone) << outcomes[2].text;
  EXPECT_NE(sink.dump().find("c@direct.example"), std::string::npos);
  EXPECT_EQ(sink.dump().find("b@dropped.example"), std::string::npos);
  EXPECT_EQ(dns_server_.queries("direct.example"), 0);
}

TEST_F(RemoteTransportTest, SignsMailOfADomainWithAKey) {
  test::SmtpSink sink;
  dns_server_.mx("example.net", 10, "mx.example.net");
  dns_server_.a("mx.example.net", "127.0.0.1");
  std::string pattern = (test::fs::temp_directory_path() / "hm_relay_keys.XXXXXX").string();
  test::fs::path dir = mkdtemp(pattern.data());
  auto key = dkim::SigningKey::generate(dkim::Algorithm::kEd25519Sha256, "example.org", "default");
  ASSERT_TRUE(key) << key.error().describe();
  ASSERT_TRUE(dkim::KeyStore::write_key(dir.string(), *key, false));
  auto keys = dkim::KeyStore::open(dir.string(), {});
  ASSERT_TRUE(keys) << keys.error().describe();
  auto outcomes = deliver(sink.port(), {"a@example.net"}, message_, {}, &*keys);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, TransportOutcome::kDone) << outcomes[0].text;
  std::string dump = sink.dump();
  EXPECT_NE(dump.find("DKIM-Signature: v=1; a=ed25519-sha256"), std::string::npos) << dump;
  EXPECT_NE(dump.find("d=example.org"), std::string::npos) << dump;
  std::error_code ignored;
  test::fs::remove_all(dir, ignored);
}

}  // namespace
}  // namespace hm::relay
