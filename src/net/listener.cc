#include "net/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "config/config.h"

namespace hm::net {
namespace {

void close_all(std::vector<BoundSocket>& sockets) {
  for (BoundSocket& s : sockets) ::close(s.fd);
  sockets.clear();
}

Result<BoundSocket> bind_one(const std::string& address) {
  auto hp = config::parse_host_port(address);
  if (!hp) return fail(std::move(hp).error());
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (hp->host.find(':') != std::string::npos) {
    family = AF_INET6;
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&storage);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(hp->port);
    if (inet_pton(AF_INET6, hp->host.c_str(), &a6->sin6_addr) != 1) {
      return fail(ErrorKind::kInvalid, "listen address " + address + " is not an IPv6 address");
    }
    length = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&storage);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(hp->port);
    std::string host = hp->host == "localhost" ? "127.0.0.1" : hp->host;
    if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) {
      return fail(ErrorKind::kInvalid,
                  "listen address " + address + " is not an IP address (names are not resolved)");
    }
    length = sizeof(sockaddr_in);
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(ErrorKind::kTemporary, "cannot create a socket for " + address);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 || ::listen(fd, 1024) != 0) {
    int err = errno;
    ::close(fd);
    std::string why = err == EADDRINUSE      ? "the port is in use by another program"
                      : err == EACCES        ? "permission denied (ports below 1024 need root)"
                      : err == EADDRNOTAVAIL ? "no such local address"
                                             : std::strerror(err);
    return fail(ErrorKind::kPermission, "cannot listen on " + address + ": " + why);
  }
  return BoundSocket{fd, address};
}

}  // namespace

Result<std::vector<BoundSocket>> bind_all(const std::vector<std::string>& addresses) {
  std::vector<BoundSocket> out;
  for (const std::string& a : addresses) {
    auto s = bind_one(a);
    if (!s) {
      close_all(out);
      return fail(std::move(s).error());
    }
    out.push_back(*s);
  }
  return out;
}

}  // namespace hm::net
