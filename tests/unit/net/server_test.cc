// The server skeleton over real loopback sockets, with a toy line service:
// limits at the door, implicit TLS, STARTTLS, counted reads and deadlines
// work for any protocol, not only SMTP.

#include "net/server.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "net/asio.h"
#include "net/connection.h"
#include "net/self_signed_cert.h"
#include "net/service.h"
#include "net/tls.h"
#include "net/tls_context.h"

namespace hm::net {
namespace {

namespace fs = std::filesystem;

// Answers "+<line>" to a line; "TLS" upgrades the connection; "BYTES n"
// reads n counted bytes and answers "#<n> <first byte>"; "BYE" ends.
class ToyService final : public Service {
 public:
  ToyService(ServiceLimits limits, std::shared_ptr<TlsContext> tls)
      : limits_(limits), tls_(std::move(tls)) {}
  std::string_view name() const override { return "toy"; }
  ServiceLimits limits() const override { return limits_; }
  std::string_view busy_reply(Busy why) const override {
    return why == Busy::kTooMany ? "-busy\r\n" : "-busy from you\r\n";
  }
  asio::awaitable<void> serve(Connection& c) override {
    c.write(c.secure() ? "hello secure\r\n" : "hello\r\n");
    for (;;) {
      std::string line;
      const auto r = co_await c.read_line(line, 100, std::chrono::seconds(1));
      if (r == Connection::Read::kTimeout) {
        c.write("-timeout\r\n");
        break;
      }
      if (r == Connection::Read::kClosed) break;
      if (r == Connection::Read::kTooLong) {
        c.write("-too long\r\n");
        continue;
      }
      if (line == "BYE") break;
      if (line == "TLS") {
        c.write("+go\r\n");
        if (!co_await c.flush(std::chrono::seconds(1))) co_return;
        std::string error;
        if (!co_await c.start_tls(*tls_, std::chrono::seconds(5), error)) co_return;
        c.write("+secure\r\n");
        continue;
      }
      if (line.rfind("BYTES ", 0) == 0) {
        const uint64_t n = std::stoull(line.substr(6));
        Connection::Transfer transfer({std::chrono::seconds(5), 100});
        std::string got;
        if (!co_await c.read_counted(n, transfer, [&](std::string_view p) { got += p; })) break;
        c.write("#" + std::to_string(got.size()) + " " + got.substr(0, 1) + "\r\n");
        continue;
      }
      c.write("+" + line + "\r\n");
    }
    co_await c.flush(std::chrono::seconds(1));
  }

 private:
  ServiceLimits limits_;
  std::shared_ptr<TlsContext> tls_;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hm-net-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(write_self_signed_cert("toy.test", dir_ + "/cert.pem", dir_ + "/key.pem"));
    auto tls = load_tls_context(dir_ + "/cert.pem", dir_ + "/key.pem");
    ASSERT_TRUE(tls) << tls.error().describe();
    tls_ = *tls;
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  // Starts a server with the toy service on a free loopback port.
  uint16_t serve(ServiceLimits limits, bool implicit_tls = false) {
    // A port the kernel picks (the configuration insists on a real one).
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(fd, 64), 0);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    std::vector<BoundSocket> sockets{{fd, "127.0.0.1:" + std::to_string(ntohs(addr.sin_port))}};
    server_ = std::make_unique<Server>();
    server_->add(ServicePtr(new ToyService(limits, tls_)), std::move(sockets),
                 implicit_tls ? tls_ : nullptr);
    EXPECT_TRUE(server_->start(2));
    return ntohs(addr.sin_port);
  }

  std::unique_ptr<tcp::socket> connect(uint16_t port) {
    auto s = std::make_unique<tcp::socket>(io_);
    s->connect({asio::ip::make_address("127.0.0.1"), port});
    return s;
  }

  template <typename Stream>
  static std::string line(Stream& s, asio::streambuf& buf) {
    boost::system::error_code ec;
    asio::read_until(s, buf, "\r\n", ec);
    if (ec) return "<" + ec.message() + ">";
    std::istream in(&buf);
    std::string l;
    std::getline(in, l);
    if (!l.empty() && l.back() == '\r') l.pop_back();
    return l;
  }

  template <typename Stream>
  static void send(Stream& s, std::string_view text) {
    asio::write(s, asio::buffer(text));
  }

  std::string dir_;
  std::shared_ptr<TlsContext> tls_;
  std::unique_ptr<Server> server_;
  asio::io_context io_;
};

TEST_F(ServerTest, LinesPipelinedAndCountedBytesAreServed) {
  const uint16_t port = serve({});
  auto s = connect(port);
  asio::streambuf buf;
  EXPECT_EQ(line(*s, buf), "hello");
  send(*s, "one\r\ntwo\nBYTES 5\r\nx\r\nyzTHREE\r\n");
  EXPECT_EQ(line(*s, buf), "+one");
  EXPECT_EQ(line(*s, buf), "+two");  // a bare LF ends a line too
  EXPECT_EQ(line(*s, buf), "#5 x");  // the counted bytes are not lines
  EXPECT_EQ(line(*s, buf), "+THREE");
  send(*s, std::string(150, 'a') + "\r\nfour\r\n");
  EXPECT_EQ(line(*s, buf), "-too long");
  EXPECT_EQ(line(*s, buf), "+four");
}

TEST_F(ServerTest, AnIdleClientIsCutOffAtItsDeadline) {
  const uint16_t port = serve({});
  auto s = connect(port);
  asio::streambuf buf;
  EXPECT_EQ(line(*s, buf), "hello");
  send(*s, "par");  // half a line, then silence
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(line(*s, buf), "-timeout");
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_EQ(line(*s, buf), "<End of file>");
}

TEST_F(ServerTest, TheDoorKeepsEachServicesLimits) {
  ServiceLimits limits;
  limits.connections_per_ip = 2;
  limits.max_sessions = 5;
  const uint16_t port = serve(limits);
  asio::streambuf b1, b2, b3;
  auto s1 = connect(port);
  auto s2 = connect(port);
  EXPECT_EQ(line(*s1, b1), "hello");
  EXPECT_EQ(line(*s2, b2), "hello");
  auto s3 = connect(port);
  EXPECT_EQ(line(*s3, b3), "-busy from you");
  EXPECT_EQ(line(*s3, b3), "<End of file>");
  // A place is given back when a session ends.
  send(*s1, "BYE\r\n");
  EXPECT_EQ(line(*s1, b1), "<End of file>");
  for (int i = 0; i < 100; ++i) {
    asio::streambuf b4;
    auto s4 = connect(port);
    const std::string greeting = line(*s4, b4);
    if (greeting == "hello") return;
    EXPECT_EQ(greeting, "-busy from you");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "the place of the session that ended was never given back";
}

TEST_F(ServerTest, SessionsInAllAreCapped) {
  ServiceLimits limits;
  limits.max_sessions = 1;
  const uint16_t port = serve(limits);
  asio::streambuf b1, b2;
  auto s1 = connect(port);
  EXPECT_EQ(line(*s1, b1), "hello");
  auto s2 = connect(port);
  EXPECT_EQ(line(*s2, b2), "-busy");
}

TEST_F(ServerTest, ImplicitTlsHandshakesBeforeTheServiceSpeaks) {
  const uint16_t port = serve({}, /*implicit_tls=*/true);
  asio::ssl::context client(asio::ssl::context::tls_client);
  client.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<tcp::socket> s(io_, client);
  s.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  s.handshake(asio::ssl::stream_base::client);
  asio::streambuf buf;
  EXPECT_EQ(line(s, buf), "hello secure");
  send(s, "ping\r\n");
  EXPECT_EQ(line(s, buf), "+ping");
}

TEST_F(ServerTest, StartTlsDiscardsWhatWasPipelinedInClearText) {
  const uint16_t port = serve({});
  auto raw = connect(port);
  asio::streambuf buf;
  EXPECT_EQ(line(*raw, buf), "hello");
  // "injected" arrives in clear text behind the upgrade command; it must
  // never be taken as if it came through TLS (CVE-2011-0411).
  send(*raw, "TLS\r\ninjected\r\n");
  EXPECT_EQ(line(*raw, buf), "+go");
  asio::ssl::context client(asio::ssl::context::tls_client);
  client.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<tcp::socket&> s(*raw, client);
  s.handshake(asio::ssl::stream_base::client);
  asio::streambuf tls_buf;
  EXPECT_EQ(line(s, tls_buf), "+secure");
  send(s, "ping\r\n");
  EXPECT_EQ(line(s, tls_buf), "+ping");
}

TEST(TlsContextTest, AMissingKeyIsAnErrorThatNamesBothFiles) {
  auto tls = load_tls_context("/nonexistent/cert.pem", "/nonexistent/key.pem");
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().describe().find("/nonexistent/cert.pem"), std::string::npos);
  EXPECT_NE(tls.error().describe().find("/nonexistent/key.pem"), std::string::npos);
}

}  // namespace
}  // namespace hm::net
