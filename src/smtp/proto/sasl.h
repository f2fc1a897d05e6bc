#pragma once
// SASL for SMTP AUTH (RFC 4954): the PLAIN (RFC 4616) and LOGIN mechanisms,
// their base64 exchanges and the replies AUTH ends with. No I/O: the session
// asks for the client's lines and hands them here.

#include <optional>
#include <string>
#include <string_view>

#include "smtp/proto/reply.h"

namespace hm::smtp::proto {

enum class SaslMechanism { kPlain, kLogin };

// "PLAIN" or "LOGIN" in any case; nullopt for the rest (504).
std::optional<SaslMechanism> sasl_mechanism(std::string_view name);

struct SaslCredentials {
  std::string login;
  std::string password;
};

// A PLAIN response, base64 of "authzid NUL authcid NUL password". An
// authorization identity other than empty or the login itself is refused
// (nullopt): nobody logs in as somebody else here.
std::optional<SaslCredentials> decode_plain(std::string_view base64);

// One base64 line of a LOGIN exchange ("=" is empty); nullopt when it is not
// base64 or holds a NUL.
std::optional<std::string> decode_login_line(std::string_view base64);

// The challenges LOGIN sends, "Username:" and "Password:" in base64.
inline constexpr std::string_view kLoginUserChallenge = "VXNlcm5hbWU6";
inline constexpr std::string_view kLoginPasswordChallenge = "UGFzc3dvcmQ6";

// The replies of RFC 4954 6 (and RFC 5248's registry).
Reply auth_succeeded();          // 235 2.7.0
Reply auth_invalid();            // 535 5.7.8
Reply auth_temporary();          // 454 4.7.0
Reply auth_needs_encryption();   // 538 5.7.11
Reply auth_required();           // 530 5.7.0
Reply auth_cancelled();          // 501 5.0.0
Reply auth_malformed();          // 501 5.5.2
Reply auth_unknown_mechanism();  // 504 5.5.4

}  // namespace hm::smtp::proto
