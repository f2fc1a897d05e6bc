#include "relay/next_hop.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include <charconv>

#include "base/strings.h"
#include "mail/address_syntax.h"

namespace hm::relay {
namespace {

Result<uint16_t> parse_port(std::string_view text, std::string_view spec) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    return fail(ErrorKind::kInvalid,
                fmt::format("\"{}\": the port must be a number from 1 to 65535", spec));
  }
  return static_cast<uint16_t>(value);
}

Status check_host(std::string_view host, bool literal_allowed, std::string_view spec) {
  if (literal_allowed && is_ip_address(host)) return ok();
  if (mail::check_domain(host, mail::DomainSyntax{}) != mail::DomainError::kNone) {
    return fail(ErrorKind::kInvalid, fmt::format("\"{}\": \"{}\" is not a host name{}", spec, host,
                                                 literal_allowed ? " nor an IP address" : ""));
  }
  return ok();
}

// "[host]:port", "[host]", "host:port", "host" (after "smtp:").
Result<NextHop> parse_destination(std::string_view text, std::string_view spec) {
  NextHop hop;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return fail(ErrorKind::kInvalid, fmt::format("\"{}\": '[' without ']'", spec));
    }
    hop.host = text.substr(1, close - 1);
    hop.mx = false;
    rest = text.substr(close + 1);
    // An address literal as RFC 5321 writes it: [IPv6:2001:db8::1].
    if (hop.host.size() > 5 && iequals(std::string_view(hop.host).substr(0, 5), "IPv6:")) {
      hop.host.erase(0, 5);
    }
    HM_TRY(check_host(hop.host, true, spec));
  } else {
    size_t colon = text.find(':');
    hop.host = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
    // A bare IP address has no MX records: it is the host itself.
    if (is_ip_address(hop.host)) hop.mx = false;
    HM_TRY(check_host(hop.host, true, spec));
  }
  hop.host = ascii_lower(hop.host);
  if (!rest.empty()) {
    if (rest.front() != ':') {
      return fail(ErrorKind::kInvalid,
                  fmt::format("\"{}\": expected ':port' after the host, found \"{}\"", spec, rest));
    }
    Result<uint16_t> port = parse_port(rest.substr(1), spec);
    if (!port) return fail(port.error());
    hop.port = *port;
  }
  return hop;
}

}  // namespace

bool is_ip_address(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  std::string copy(text);
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, copy.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, copy.c_str(), buffer) == 1;
}

Result<TlsLevel> parse_tls_level(std::string_view text) {
  if (text == "none") return TlsLevel::kNone;
  if (text == "may") return TlsLevel::kMay;
  if (text == "encrypt") return TlsLevel::kEncrypt;
  if (text == "verify") return TlsLevel::kVerify;
  return fail(ErrorKind::kInvalid,
              fmt::format("unknown TLS level \"{}\"; use \"none\", \"may\", \"encrypt\" or "
                          "\"verify\"",
                          text));
}

Result<NextHop> parse_transport(std::string_view spec) {
  std::string_view s = trim(spec);
  if (iequals(s, "discard")) {
    NextHop hop;
    hop.kind = NextHop::kDiscard;
    return hop;
  }
  size_t colon = s.find(':');
  std::string_view kind = s.substr(0, colon);
  std::string_view value =
      colon == std::string_view::npos ? std::string_view() : s.substr(colon + 1);
  if (iequals(kind, "error")) {
    std::string_view text = trim(value);
    NextHop hop;
    hop.kind = NextHop::kError;
    hop.text = text.empty() ? std::string("mail for this domain is refused") : std::string(text);
    return hop;
  }
  if (iequals(kind, "smtp") && colon != std::string_view::npos) {
    if (value.empty()) return NextHop{};
    return parse_destination(value, spec);
  }
  return fail(ErrorKind::kInvalid,
              fmt::format("\"{}\": use \"smtp:[host]:port\", \"smtp:host\", \"smtp:\", "
                          "\"error:text\" or \"discard\"",
                          spec));
}

Result<NextHop> parse_relayhost(std::string_view spec) {
  std::string_view s = trim(spec);
  if (s.empty()) {
    return fail(ErrorKind::kInvalid, "the relay host is empty; write \"[host]:port\" or \"host\"");
  }
  return parse_destination(s, spec);
}

std::string to_string(const NextHop& hop) {
  switch (hop.kind) {
    case NextHop::kDiscard: return "discard";
    case NextHop::kError: return "error:" + hop.text;
    case NextHop::kSmtp: break;
  }
  std::string host = hop.host;
  if (!hop.mx) host = "[" + host + "]";
  return hop.port != 0 ? fmt::format("smtp:{}:{}", host, hop.port) : "smtp:" + host;
}

}  // namespace hm::relay
