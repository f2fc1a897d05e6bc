#pragma once
// relay::Router: the next hop of a recipient domain. In this order:
//   1. the transport map's entry for the domain itself ("example.com");
//   2. the entry of its nearest parent written with a leading dot
//      (".example.com" covers "a.example.com" and "b.a.example.com", not
//      "example.com" itself, as in Postfix's transport(5));
//   3. the relayhost, when one is set;
//   4. SMTP to the MX hosts of the domain (RFC 5321 section 5).
// Domains are compared in lower case. Immutable once built: safe to share
// between threads.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "relay/next_hop.h"

namespace hm::relay {

class Router {
 public:
  // Entries are (domain, spec) as in [transport]; relayhost as in [relay].
  // kInvalid naming each bad entry (all of them, one per line).
  static Result<Router> create(const std::vector<std::pair<std::string, std::string>>& transport,
                               std::string_view relayhost);

  // The hop for mail to `domain` (an ASCII domain, any case). For an MX
  // route to the recipient's own domain, host is that domain.
  NextHop route(std::string_view domain) const;

 private:
  std::map<std::string, NextHop, std::less<>> map_;
  std::optional<NextHop> relayhost_;
};

}  // namespace hm::relay
