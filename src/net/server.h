#pragma once
// The event loops and listeners of every protocol hostmail serves. serve.cc
// registers each service (SMTP, later IMAP, POP3, submission) with the
// sockets it listens on; the server accepts, applies the service's limits
// (sessions in all and per client address), does the TLS handshake of an
// implicit-TLS port, and runs the service's conversation over a Connection.
//
// Threads: one io_context per thread, each listening socket accepted on by
// every loop, and a connection pinned to the loop that accepted it (its
// session code is single-threaded). Asio-free: services are made by their
// own component (e.g. smtp/smtp_service.h).

#include <cstddef>
#include <memory>
#include <vector>

#include "base/result.h"
#include "net/listener.h"

namespace hm::net {

class Service;
class TlsContext;
struct ServiceDeleter {
  void operator()(Service* service) const;
};
using ServicePtr = std::unique_ptr<Service, ServiceDeleter>;

class Server {
 public:
  Server();
  ~Server();  // stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves `service` on `sockets` once started. With `implicit_tls`, every
  // connection begins with a TLS handshake (ports 465, 993, 995); the
  // context must be loaded already (before privileges are dropped).
  void add(ServicePtr service, std::vector<BoundSocket> sockets,
           std::shared_ptr<TlsContext> implicit_tls = nullptr);

  // Starts `threads` event loops over every added listener. Fails, closing
  // every socket, when one cannot be adopted.
  Status start(size_t threads);
  // Stops accepting, ends sessions, joins the loops, then tells each
  // service it stopped. What was acknowledged is on disk already.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hm::net
