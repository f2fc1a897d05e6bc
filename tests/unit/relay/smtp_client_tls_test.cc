// relay::SmtpClient's STARTTLS over real TCP and TLS on loopback: a scripted
// server in the same io_context takes the client through STARTTLS with a
// self-signed certificate (net::write_self_signed_cert), as the levels of
// ClientOptions::tls say.

#include <stdlib.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "net/self_signed_cert.h"
#include "net/tls.h"
#include "relay/smtp_client.h"

namespace hm::relay {
namespace {

namespace fs = std::filesystem;

class SmtpClientTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hm_relay_tls.XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    cert_ = (dir_ / "cert.pem").string();
    ASSERT_TRUE(net::write_self_signed_cert("mx.example.net", cert_, (dir_ / "key.pem").string()));
    auto server = net::load_tls_context(cert_, (dir_ / "key.pem").string());
    ASSERT_TRUE(server) << server.error().describe();
    server_tls_ = *server;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // The server's side: reads up to and including `until`.
  static asio::awaitable<bool> expect(net::Stream& s, std::string& in, std::string_view until) {
    while (in.find(until) == std::string::npos) {
      const bool more = co_await s.read_some(in);
      if (!more) co_return false;
    }
    in.erase(0, in.find(until) + until.size());
    co_return true;
  }

  // A server that offers STARTTLS and takes one message; `secured` says
  // whether the handshake went through.
  asio::awaitable<void> serve(net::tcp::acceptor& acceptor, bool& secured) {
    net::tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    std::unique_ptr<net::Stream> s = net::make_tcp_stream(std::move(socket));
    std::string in, error;
    co_await s->write("220 mx.example.net ESMTP\r\n");
    if (!co_await expect(*s, in, "EHLO relay.example.org\r\n")) co_return;
    co_await s->write("250-mx.example.net\r\n250 STARTTLS\r\n");
    if (!co_await expect(*s, in, "STARTTLS\r\n")) co_return;
    co_await s->write("220 2.0.0 go ahead\r\n");
    secured = co_await s->start_tls(*server_tls_, error);
    if (!secured) co_return;
    if (!co_await expect(*s, in, "EHLO relay.example.org\r\n")) co_return;
    co_await s->write("250-mx.example.net\r\n250 PIPELINING\r\n");
    if (!co_await expect(*s, in, "DATA\r\n")) co_return;
    co_await s->write("250 ok\r\n250 ok\r\n354 go\r\n");
    if (!co_await expect(*s, in, "\r\n.\r\n")) co_return;
    co_await s->write("250 2.0.0 queued\r\n");
    if (!co_await expect(*s, in, "QUIT\r\n")) co_return;
    co_await s->write("221 bye\r\n");
  }

  struct Outcome {
    bool server_secured = false;
    bool client_secure = false;
    Status opened;
    bool delivered = false;
  };

  Outcome run(TlsLevel level, const std::string& ca_file) {
    asio::io_context io;
    net::tcp::acceptor acceptor(io, net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    asio::ssl::context client_tls(asio::ssl::context::tls_client);
    if (!ca_file.empty()) client_tls.load_verify_file(ca_file);
    Outcome out;
    asio::co_spawn(io, serve(acceptor, out.server_secured), asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto stream = co_await connect_tcp("127.0.0.1", acceptor.local_endpoint().port(),
                                             std::chrono::seconds(5));
          if (!stream) co_return;
          ClientTimeouts quick;
          quick.greeting = quick.command = std::chrono::seconds(5);
          ClientOptions options{"relay.example.org", quick, level, &client_tls, "mx.example.net"};
          SmtpClient client(std::move(*stream), options);
          out.opened = co_await client.open();
          out.client_secure = client.secure();
          if (!out.opened) {
            acceptor.close();
            co_return;
          }
          std::vector<std::string> to = {"a@example.net"};
          auto results = co_await client.send(OutgoingMessage{"s@example.org", to, "", "x\r\n"});
          out.delivered = results && (*results)[0].delivered();
          co_await client.quit();
        },
        asio::detached);
    io.run();
    return out;
  }

  fs::path dir_;
  std::string cert_;
  std::shared_ptr<net::TlsContext> server_tls_;
};

TEST_F(SmtpClientTlsTest, EncryptUsesStartTlsWithAnyCertificate) {
  Outcome out = run(TlsLevel::kEncrypt, "");
  ASSERT_TRUE(out.opened) << out.opened.error().describe();
  EXPECT_TRUE(out.server_secured);
  EXPECT_TRUE(out.client_secure);
  EXPECT_TRUE(out.delivered);
}

TEST_F(SmtpClientTlsTest, MayUsesStartTlsWhenOffered) {
  Outcome out = run(TlsLevel::kMay, "");
  ASSERT_TRUE(out.opened) << out.opened.error().describe();
  EXPECT_TRUE(out.client_secure);
  EXPECT_TRUE(out.delivered);
}

TEST_F(SmtpClientTlsTest, VerifyAcceptsATrustedCertificateForTheName) {
  Outcome out = run(TlsLevel::kVerify, cert_);
  ASSERT_TRUE(out.opened) << out.opened.error().describe();
  EXPECT_TRUE(out.client_secure);
  EXPECT_TRUE(out.delivered);
}

TEST_F(SmtpClientTlsTest, VerifyRefusesAnUntrustedCertificate) {
  Outcome out = run(TlsLevel::kVerify, "");
  ASSERT_FALSE(out.opened);
  EXPECT_TRUE(out.opened.error().temporary());
  EXPECT_EQ(out.opened.error().message().substr(0, 6), "4.7.5 ") << out.opened.error().message();
  EXPECT_FALSE(out.delivered);
}

}  // namespace
}  // namespace hm::relay
