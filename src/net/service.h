#pragma once
// What a protocol (SMTP, IMAP, POP3...) gives the Server: its limits, how it
// refuses a client at the door, and the conversation over a Connection.
// Asio inside: include only from servers' and sessions' .cc files; code
// that only registers services sees net/server.h.

#include <cstdint>
#include <string_view>

#include "net/asio.h"
#include "net/connection.h"

namespace hm::net {

struct ServiceLimits {
  uint32_t max_sessions = 500;       // all clients together
  uint32_t connections_per_ip = 50;  // as Postfix's smtpd_client_connection_count_limit
  // How long an implicit-TLS handshake may take before the session starts.
  std::chrono::seconds handshake_timeout{60};
};

class Service {
 public:
  enum class Busy { kTooMany, kTooManyFromAddress };

  virtual ~Service() = default;
  // For logs: "smtp", "imap"...
  virtual std::string_view name() const = 0;
  virtual ServiceLimits limits() const = 0;
  // What a client turned away at connect is told before the close, in the
  // protocol's own words ("421 4.7.0 ...\r\n"); short enough for any send
  // buffer. Empty: close without a word.
  virtual std::string_view busy_reply(Busy why) const = 0;
  // The whole conversation; the connection is closed after it.
  virtual asio::awaitable<void> serve(Connection& connection) = 0;
  // Called once the event loops have stopped: finish or abandon background
  // work (SMTP waits for deliveries in progress).
  virtual void stopped() {}
};

}  // namespace hm::net
