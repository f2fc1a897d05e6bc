// relay::RemoteTransport end to end inside one process: a DNS server on
// loopback (dns_responder.h, on a thread of its own) sends the mail to
// Postfix's smtp-sink (smtp_sink.h) on 127.0.0.1, as the daemon's queue
// runner would call the transport.

#include "relay/remote_transport.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <optional>
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
    if (!transport_ || !reuse_transport_) {
      transport_ = std::make_unique<RemoteTransport>(*Router::create(map, ""), options, keys);
    }
    RemoteTransport& transport = *transport_;
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
  bool reuse_transport_ = false;
  std::unique_ptr<RemoteTransport> transport_;
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

// A plain SMTP server on a thread of its own that takes every message and
// counts the connections made to it.
class CountingServer {
 public:
  CountingServer()
      : acceptor_(io_, net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        thread_([this] { serve(); }) {}
  // Call once no client holds a connection open any more.
  ~CountingServer() {
    // A blocked accept() does not return when its socket is closed from
    // another thread: one more connection wakes it.
    stop_ = true;
    asio::io_context io;
    net::tcp::socket wake(io);
    boost::system::error_code ignored;
    wake.connect(net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ignored);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  int messages() const { return messages_; }

 private:
  void serve() {
    for (;;) {
      net::tcp::socket s(io_);
      boost::system::error_code error;
      acceptor_.accept(s, error);
      if (error || stop_) return;
      ++connections_;
      std::string in;
      auto say = [&](std::string_view text) { asio::write(s, asio::buffer(text), error); };
      say("220 counting.example ESMTP\r\n");
      bool data = false;
      while (!error) {
        size_t end = in.find(data ? "\r\n.\r\n" : "\r\n");
        if (end == std::string::npos) {
          char buffer[4096];
          size_t n = s.read_some(asio::buffer(buffer), error);
          in.append(buffer, n);
          continue;
        }
        std::string line = in.substr(0, end);
        in.erase(0, end + (data ? 5 : 2));
        if (data) {
          data = false;
          ++messages_;
          say("250 2.0.0 ok\r\n");
        } else if (line.rfind("EHLO", 0) == 0) {
          say("250-counting.example\r\n250 PIPELINING\r\n");
        } else if (line == "DATA") {
          data = true;
          say("354 go\r\n");
        } else if (line == "QUIT") {
          say("221 bye\r\n");
          break;
        } else {
          say("250 ok\r\n");
        }
      }
    }
  }

  asio::io_context io_;
  net::tcp::acceptor acceptor_;
  uint16_t port_ = acceptor_.local_endpoint().port();
  std::atomic<int> connections_{0};
  std::atomic<int> messages_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(RemoteTransportTest, OneConnectionForSeveralMessagesToOneDestination) {
  CountingServer server;
  dns_server_.mx("example.net", 10, "mx.example.net");
  dns_server_.a("mx.example.net", "127.0.0.1");
  reuse_transport_ = true;
  for (int i = 0; i < 3; ++i) {
    auto outcomes = deliver(server.port(), {"a@example.net"}, message_);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0].kind, TransportOutcome::kDone) << outcomes[0].text;
  }
  transport_.reset();  // closes the cached connection: the server can stop
  EXPECT_EQ(server.messages(), 3);
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(RemoteTransportTest, ACachedConnectionTheServerClosedIsReplaced) {
  std::optional<test::SmtpSink> sink;
  sink.emplace();
  dns_server_.mx("example.net", 10, "mx.example.net");
  dns_server_.a("mx.example.net", "127.0.0.1");
  reuse_transport_ = true;
  const uint16_t port = sink->port();
  auto first = deliver(port, {"a@example.net"}, message_);
  ASSERT_EQ(first[0].kind, TransportOutcome::kDone) << first[0].text;
  // smtp-sink started again on the same port: the cached connection is dead.
  sink.reset();
  sink.emplace(std::vector<std::string>{}, port);
  auto second = deliver(port, {"b@example.net"}, message_);
  ASSERT_EQ(second[0].kind, TransportOutcome::kDone) << second[0].text;
  EXPECT_NE(sink->dump().find("b@example.net"), std::string::npos);
}

}  // namespace
}  // namespace hm::relay
