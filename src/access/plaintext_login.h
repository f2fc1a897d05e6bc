#pragma once
// When a password may cross a connection without TLS: IMAP's LOGINDISABLED
// and PRIVACYREQUIRED, POP3's USER/PASS and AUTH before STLS. One policy,
// one loopback rule, for every protocol that reads mail.

#include <string>

namespace hm::mail_access {

enum class PlaintextLogin {
  kLoopback,  // only from 127.0.0.0/8 and ::1 (the default)
  kAlways,
  kNever,
};

// Whether `ip` (text form) is a loopback address, an IPv4-mapped one
// included (a dual-stack socket shows an IPv4 client so).
bool is_loopback(const std::string& ip);

// Whether a client at `peer_ip` may send a password now.
bool login_allowed(PlaintextLogin policy, bool secure, const std::string& peer_ip);

}  // namespace hm::mail_access
