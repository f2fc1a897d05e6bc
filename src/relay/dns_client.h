#pragma once
// relay::DnsClient: asynchronous DNS queries with c-ares, driven by an Asio
// executor: c-ares' sockets are watched with posix::stream_descriptor
// waits and its retransmissions by a steady_timer, so a lookup costs no
// thread and never blocks the loop. The answers are handed back as bytes
// with c-ares' status; dns_answer.h makes sense of them, resolve.h chains
// the lookups of a next hop.
//
// Servers: [relay] dns_servers ("192.0.2.53", "127.0.0.1:5353",
// "[::1]:53"), or /etc/resolv.conf's when the list is empty. c-ares retries
// each query `tries` times per server with `timeout_ms` at first (it doubles
// the timeout per round), and moves to the next server on SERVFAIL,
// REFUSED or a timeout.
//
// Not thread-safe: one client per executor (an io_context run by one
// thread, or a strand), and queries are made from that executor only.
// Asio inside (net/asio.h): include only from .cc files.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/asio.h"

struct ares_channeldata;

namespace hm::relay {

namespace asio = net::asio;

struct DnsOptions {
  std::vector<std::string> servers;  // empty: the system's (/etc/resolv.conf)
  unsigned timeout_ms = 5000;        // first try, per server
  unsigned tries = 2;
};

struct DnsReply {
  int status = 0;      // ARES_SUCCESS, ARES_ENODATA, ARES_ENOTFOUND (NXDOMAIN), ...
  std::string answer;  // the whole DNS message, when one came back
};

// What a failed query means for the mail waiting on it.
enum class DnsFailure {
  kNone,       // ARES_SUCCESS
  kNoData,     // the name exists, without records of that type
  kNoDomain,   // NXDOMAIN: the name does not exist (permanent)
  kTemporary,  // SERVFAIL, timeout, refused, no server reachable...: try later
};
DnsFailure classify(int status);

class DnsClient : public std::enable_shared_from_this<DnsClient> {
 public:
  // kInvalid if a server is malformed; kInternal if c-ares cannot start.
  static Result<std::shared_ptr<DnsClient>> create(asio::any_io_executor executor,
                                                   const DnsOptions& options);
  ~DnsClient();
  DnsClient(const DnsClient&) = delete;
  DnsClient& operator=(const DnsClient&) = delete;

  // One query of class IN; `type` is ns_t_mx, ns_t_a, ns_t_aaaa...
  asio::awaitable<DnsReply> query(std::string name, int type);

 private:
  struct Watch;
  explicit DnsClient(asio::any_io_executor executor);
  static void on_socket_state(void* self, int fd, int readable, int writable);
  void watch(int fd, bool readable, bool writable);
  void wait(int fd, bool for_read);
  void arm_timer();

  asio::any_io_executor executor_;
  asio::steady_timer timer_;
  ares_channeldata* channel_ = nullptr;
  std::map<int, std::unique_ptr<Watch>> watches_;
};

}  // namespace hm::relay
