#pragma once
// relay::resolve: the addresses to try for one SMTP next hop, in order
// (RFC 5321 section 5.1):
//   - "[host]" or an IP address: the host's own addresses (A, then AAAA);
//   - otherwise the MX records of the host (domain), by preference, equal
//     preferences shuffled, each MX host's addresses in turn; a domain
//     without MX records is its own MX (the "implicit MX" of 5.1);
//   - null MX (RFC 7505): a permanent failure, nothing is tried.
// The A and AAAA queries of a host go out together.
//
// A failure is an hm::Error whose message starts with the enhanced status
// code for the DSN: temporary (kTemporary, "4.4.3 ...") when DNS could not
// answer (SERVFAIL, timeout) and nothing else was found; permanent
// (kNotFound, "5.4.4 ..." or "5.1.2 ...", kInvalid "5.1.10 ..." for null MX)
// when DNS answered that there is nowhere to deliver. Asio inside:
// include only from .cc files.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/asio.h"
#include "relay/dns_client.h"
#include "relay/next_hop.h"

namespace hm::relay {

// One address to connect to.
struct Target {
  std::string host;     // the MX host (or the [host]) it belongs to, for logs and TLS
  std::string address;  // IPv4 or IPv6 text
  uint16_t port = 25;

  friend bool operator==(const Target&, const Target&) = default;
};

// At most this many addresses are returned (Postfix: smtp_mx_address_limit
// 5; a few more, for hosts with both families).
inline constexpr size_t kMaxTargets = 10;

// `hop` is a kSmtp hop with its host filled in (Router::route does);
// port 0 means `default_port`.
asio::awaitable<Result<std::vector<Target>>> resolve(DnsClient& dns, const NextHop& hop,
                                                     uint16_t default_port,
                                                     std::mt19937_64& random);

}  // namespace hm::relay
