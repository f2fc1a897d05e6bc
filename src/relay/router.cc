#include "relay/router.h"

#include <fmt/format.h>

#include "base/strings.h"
#include "mail/address_syntax.h"

namespace hm::relay {

Result<Router> Router::create(const std::vector<std::pair<std::string, std::string>>& transport,
                              std::string_view relayhost) {
  Router router;
  std::vector<std::string> problems;
  for (const auto& [domain, spec] : transport) {
    std::string key = ascii_lower(domain);
    std::string_view name = key;
    if (!name.empty() && name.front() == '.') name.remove_prefix(1);
    if (mail::check_domain(name, mail::DomainSyntax{}) != mail::DomainError::kNone) {
      problems.push_back(
          fmt::format("\"{}\" is not a domain (nor .domain for its subdomains)", domain));
      continue;
    }
    Result<NextHop> hop = parse_transport(spec);
    if (!hop) {
      problems.push_back(fmt::format("\"{}\": {}", domain, hop.error().message()));
      continue;
    }
    router.map_.insert_or_assign(std::move(key), std::move(*hop));
  }
  if (!trim(relayhost).empty()) {
    Result<NextHop> hop = parse_relayhost(relayhost);
    if (hop) {
      router.relayhost_ = std::move(*hop);
    } else {
      problems.push_back(hop.error().message());
    }
  }
  if (!problems.empty()) return fail(ErrorKind::kInvalid, join(problems, "\n"));
  return router;
}

NextHop Router::route(std::string_view domain) const {
  std::string name = ascii_lower(domain);
  NextHop hop = relayhost_ ? *relayhost_ : NextHop{};
  if (auto it = map_.find(name); it != map_.end()) {
    hop = it->second;
  } else {
    // Nearest parent first: ".a.example.com" before ".example.com".
    for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
      if (auto parent = map_.find(std::string_view(name).substr(dot)); parent != map_.end()) {
        hop = parent->second;
        break;
      }
    }
  }
  // "smtp:" (no host), in the map or by default: the recipient's domain.
  if (hop.kind == NextHop::kSmtp && hop.host.empty()) hop.host = std::move(name);
  return hop;
}

}  // namespace hm::relay
