#pragma once
// Opening listening sockets for "host:port" addresses from the configuration.
// Returns plain file descriptors so that this header stays free of Asio: the
// server adopts them into its acceptors. Binding happens before privileges
// are dropped, so ports below 1024 work when started as root.

#include <string>
#include <vector>

#include "base/result.h"

namespace hm::net {

struct BoundSocket {
  int fd = -1;
  std::string address;  // as configured, for logs
};

// Binds and listens on every address; IPv6 sockets are IPV6_V6ONLY so that
// "0.0.0.0:25" and "[::]:25" can both be bound. On failure closes what it
// opened and says which address failed and why (in use, permission...).
Result<std::vector<BoundSocket>> bind_all(const std::vector<std::string>& addresses);

}  // namespace hm::net
