#pragma once
// relay::NextHop: where mail for one recipient domain goes, as the transport
// map ([transport]) and [relay] relayhost write it, Postfix's way:
//
//   smtp:[host]:port   SMTP to that host (or IP literal) itself, no MX lookup
//   smtp:[host]        the same on [relay] smtp_port
//   smtp:host:port     SMTP to the MX hosts of `host`, on that port
//   smtp:host          the same on [relay] smtp_port
//   smtp:              SMTP to the MX hosts of the recipient's own domain
//   error:text         every recipient bounces with `text` (permanent)
//   discard            the mail is accepted and dropped
//
// A relayhost is the part after "smtp:" ("[smtp.example.net]:587",
// "smtp.example.net"). Router (router.h) picks the hop of a domain. Pure
// functions: no DNS, no I/O; config/check.cc uses them to check the file.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hm::relay {

struct NextHop {
  enum Kind { kSmtp, kError, kDiscard };
  Kind kind = kSmtp;
  // kSmtp: the host or domain to connect to; empty: the recipient's domain.
  // An IP literal is kept without brackets ("192.0.2.1", "2001:db8::1").
  std::string host{};
  bool mx = true;      // kSmtp: look up `host`'s MX records (false: "[host]")
  uint16_t port = 0;   // kSmtp: 0 means [relay] smtp_port
  std::string text{};  // kError: the reason given in the bounce

  friend bool operator==(const NextHop&, const NextHop&) = default;
};

// STARTTLS to a destination (RFC 3207), as Postfix's smtp_tls_security_level:
enum class TlsLevel {
  kNone,     // never
  kMay,      // when offered; in clear when not, or when the server refuses it
  kEncrypt,  // required (else a temporary failure); any certificate
  kVerify,   // required, and the certificate verified (trusted CA, host name)
};
// "none", "may", "encrypt", "verify"; kInvalid otherwise.
Result<TlsLevel> parse_tls_level(std::string_view text);

// One value of the transport map. kInvalid saying what is wrong otherwise.
Result<NextHop> parse_transport(std::string_view spec);

// [relay] relayhost: "[host]:port", "[host]", "host:port" or "host".
Result<NextHop> parse_relayhost(std::string_view spec);

// Whether `text` is an IPv4 or IPv6 address in text form.
bool is_ip_address(std::string_view text);

// "smtp:[host]:port" and so on: the form parse_transport() reads, for logs.
std::string to_string(const NextHop& hop);

}  // namespace hm::relay
