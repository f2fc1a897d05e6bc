#include "access/plaintext_login.h"

#include <arpa/inet.h>

namespace hm::mail_access {

bool is_loopback(const std::string& ip) {
  in_addr v4{};
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, ip.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

bool login_allowed(PlaintextLogin policy, bool secure, const std::string& peer_ip) {
  if (secure) return true;
  switch (policy) {
    case PlaintextLogin::kAlways: return true;
    case PlaintextLogin::kNever: return false;
    case PlaintextLogin::kLoopback: return is_loopback(peer_ip);
  }
  return false;
}

}  // namespace hm::mail_access
