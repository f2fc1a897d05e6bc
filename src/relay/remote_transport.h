#pragma once
// relay::RemoteTransport: the queue's `remote` transport
// (delivery/transport.h): delivers queued recipients in other domains over
// SMTP, through Router (transport map, relayhost, MX), resolve() (DNS with
// c-ares) and SmtpClient, and signs mail from a domain that has a DKIM key
// (dkim::KeyStore, opened by the caller while it can still read root's
// keys).
//
// One deliver() call handles the due recipients of one message: grouped by
// next hop, each group sent once, to the addresses of its hop in order
// until one server takes the transaction. Outcomes per recipient:
//   delivered (2xx after the data)                 kDone
//   4xx, no server reachable, DNS failing          kLater (the queue retries)
//   5xx, null MX, NXDOMAIN, "error:" transport     kNever (the queue bounces,
//                                                   the reply as Diagnostic-Code)
//   "discard" transport                            kDone, nothing sent
// deliver() is blocking, as the runner wants: it runs an io_context of its
// own, the same for every call. A connection that took a message is kept
// open (up to 10 s, 20 connections) for the next message to the same
// address. STARTTLS per RemoteOptions::tls and tls_policy. The runner
// delivers one message at a time, so at most one connection per
// destination is in use; a limit per destination comes with parallel runs.

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "delivery/transport.h"
#include "dkim/key_store.h"
#include "dkim/signer.h"
#include "relay/router.h"

namespace boost::asio::ssl {
class context;
}

namespace hm::relay {

struct RemoteOptions {
  std::string helo_name;                 // [server] hostname
  std::vector<std::string> dns_servers;  // [relay] dns_servers
  unsigned dns_timeout_ms = 5000;
  unsigned dns_tries = 2;
  uint16_t smtp_port = 25;  // [relay] smtp_port
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  TlsLevel tls = TlsLevel::kMay;  // [relay] tls
  // [relay.tls_policy]: next-hop host (the recipient domain for MX routes,
  // the host of "[host]" and relayhost routes) -> its level.
  std::map<std::string, TlsLevel, std::less<>> tls_policy;
  // Trusted CAs for kVerify: a PEM file; empty: the system's.
  std::string tls_ca_file;
  // A shorter wait for every reply than RFC 5321's minutes (tests); zero:
  // RFC 5321 4.5.3.2's.
  std::chrono::milliseconds reply_timeout{0};
};

class RemoteTransport final : public delivery::Transport {
 public:
  // `keys` may be null (nothing is signed); it must outlive the transport.
  RemoteTransport(Router router, RemoteOptions options, const dkim::KeyStore* keys);
  ~RemoteTransport() override;

  std::vector<delivery::TransportOutcome> deliver(
      const delivery::QueuedMessage& message,
      const std::vector<const queue::QueuedRecipient*>& recipients,
      const delivery::TransportContext& context) override;

 private:
  Router router_;
  RemoteOptions options_;
  const dkim::KeyStore* keys_;
  dkim::Signer signer_;
  std::mt19937_64 random_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // null: TLS could not be set up
  struct Connections;
  std::unique_ptr<Connections> connections_;
};

}  // namespace hm::relay
