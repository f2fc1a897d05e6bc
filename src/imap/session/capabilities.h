#pragma once
// The CAPABILITY list (RFC 3501 7.2.1), which depends on the session's
// state: before login it offers STARTTLS and the SASL mechanisms (or says
// LOGINDISABLED), after login the extensions. One place, so that the
// greeting, CAPABILITY and the OK after LOGIN agree. Pure; thread-safe.

#include <cstdint>
#include <string>

namespace hm::imap {

struct CapabilityState {
  bool authenticated = false;
  bool starttls_offered = false;  // a certificate is configured and TLS is not active yet
  bool login_allowed = true;      // else LOGINDISABLED, and no AUTH= mechanism
  uint64_t append_limit = 0;      // APPENDLIMIT=n (RFC 7889)
};

// The capabilities, space-separated, beginning with "IMAP4rev1".
std::string capabilities(const CapabilityState& state);

}  // namespace hm::imap
