#pragma once
// relay::SmtpClient: one SMTP connection to a remote server, as a sender
// (RFC 5321), over a net::Stream (a TCP socket, or memory in tests):
//   open()   greeting, then EHLO, HELO when EHLO is refused;
//   send()   one message: MAIL, RCPT per recipient, DATA, with PIPELINING
//            when offered (all commands in one write), SIZE= and a refusal
//            before sending what the server's SIZE limit refuses, BODY=8BITMIME
//            and SMTPUTF8 only when offered (else a 5.6.x failure: nothing
//            is sent), dot-stuffing; a result per recipient;
//   send() again on the same connection for more messages (RSET after a
//            refused transaction), then quit().
// Each wait for the server has the timeout of RFC 5321 4.5.3.2 (greeting
// 5 min, MAIL/RCPT 5, DATA 2, each data block 3, the final "." 10). A
// timeout, a lost connection or a malformed reply is an error of the whole
// call (kTemporary, "4.4.2 ..."), after which the connection is done for.
//
// STARTTLS after EHLO per ClientOptions::tls (then EHLO again, RFC 3207);
// a failed handshake ends the connection with a temporary error. Not yet:
// AUTH to a relay host. Asio inside: include only from .cc files.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/asio.h"
#include "net/stream.h"
#include "relay/next_hop.h"
#include "relay/smtp_reply.h"

namespace hm::relay {

namespace asio = net::asio;

struct ClientTimeouts {
  std::chrono::milliseconds connect{std::chrono::seconds(30)};
  std::chrono::milliseconds greeting{std::chrono::minutes(5)};
  std::chrono::milliseconds command{std::chrono::minutes(5)};  // EHLO, MAIL, RCPT, RSET
  std::chrono::milliseconds data_init{std::chrono::minutes(2)};
  std::chrono::milliseconds data_block{std::chrono::minutes(3)};
  std::chrono::milliseconds data_end{std::chrono::minutes(10)};
};

struct ClientOptions {
  std::string helo_name;  // our host name, for EHLO/HELO
  ClientTimeouts timeouts;
  TlsLevel tls = TlsLevel::kMay;              // relay/next_hop.h
  asio::ssl::context* tls_context = nullptr;  // a tls_client context; null: no TLS
  std::string server_name{};                  // SNI, and the name kVerify checks
};

struct OutgoingMessage {
  std::string_view sender;                     // "" for the null sender
  const std::vector<std::string>& recipients;  // addresses, without <>
  std::string_view prefix;                     // sent before text (a DKIM-Signature field)
  std::string_view text;                       // the message, CRLF line ends
  bool eight_bit = false;                      // text has bytes above 127 (BODY=8BITMIME)
  bool utf8 = false;                           // needs SMTPUTF8 (UTF-8 addresses or header)
};

// What became of one recipient: the server's reply that decided it (250
// after the data: delivered), or one made here (`local`) when the message
// could not be offered at all (SIZE, 8BITMIME, SMTPUTF8).
struct RecipientResult {
  Reply reply;
  bool local = false;
  bool delivered() const { return reply.code >= 200 && reply.code < 300; }
};

class SmtpClient {
 public:
  SmtpClient(std::unique_ptr<net::Stream> stream, ClientOptions options);
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // The greeting and EHLO/HELO. A server that greets with 4xx/5xx or
  // refuses both EHLO and HELO: an error of that kind (temporary or not)
  // whose message is its reply.
  asio::awaitable<Status> open();
  const Capabilities& capabilities() const { return capabilities_; }
  bool usable() const { return usable_; }
  bool secure() const { return stream_->secure(); }

  // One message; results in the order of message.recipients.
  asio::awaitable<Result<std::vector<RecipientResult>>> send(const OutgoingMessage& message);

  // QUIT, waiting briefly for its answer; then closes.
  asio::awaitable<void> quit();

 private:
  struct Watchdog;
  asio::awaitable<Result<Reply>> read_reply(std::chrono::milliseconds timeout,
                                            std::string_view after);
  asio::awaitable<Status> write(std::string_view data);
  asio::awaitable<Status> reset();  // RSET, for the next transaction
  asio::awaitable<Status> start_tls();
  // EHLO or HELO; an error unless the server answers 250.
  asio::awaitable<Result<Reply>> greet(std::string_view verb);
  // Ends the stream's pending wait when `timeout` passes, until disarm().
  void arm(asio::steady_timer& timer, std::chrono::milliseconds timeout);
  void disarm(asio::steady_timer& timer);
  asio::awaitable<Status> write_data(const OutgoingMessage& message);
  Error broken(Error error);

  std::unique_ptr<net::Stream> stream_;
  ClientOptions options_;
  std::shared_ptr<Watchdog> watchdog_;
  std::string buffer_;  // bytes read and not yet taken as replies
  Capabilities capabilities_;
  bool usable_ = false;
};

// A TCP connection to one address, within `timeout`.
asio::awaitable<Result<std::unique_ptr<net::Stream>>> connect_tcp(
    const std::string& address, uint16_t port, std::chrono::milliseconds timeout);

}  // namespace hm::relay
