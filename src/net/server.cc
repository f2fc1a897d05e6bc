#include "net/server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "base/log.h"
#include "base/sys_error.h"
#include "net/asio.h"
#include "net/connection.h"
#include "net/service.h"
#include "net/stream.h"
#include "net/tls.h"

namespace hm::net {

void ServiceDeleter::operator()(Service* service) const { delete service; }

namespace {

// A service with its listeners and its count of sessions.
struct Endpoint {
  ServicePtr service;
  std::vector<BoundSocket> sockets;
  std::shared_ptr<TlsContext> implicit_tls;
  ServiceLimits limits;
  std::string name;

  // Limits sessions in all and per client address. A session's place among
  // all is given back when it ends, however it ends; its place among its
  // address's when the session releases it (SMTP at QUIT), else at the end.
  std::optional<Service::Busy> admit(const std::string& ip) {
    std::lock_guard lock(mutex);
    if (sessions >= limits.max_sessions) return Service::Busy::kTooMany;
    unsigned& n = per_ip[ip];
    if (n >= limits.connections_per_ip) return Service::Busy::kTooManyFromAddress;
    ++n;
    ++sessions;
    return std::nullopt;
  }
  void end_session() {
    std::lock_guard lock(mutex);
    --sessions;
  }
  void release(const std::string& ip) {
    std::lock_guard lock(mutex);
    auto it = per_ip.find(ip);
    if (it != per_ip.end() && --it->second == 0) per_ip.erase(it);
  }

  std::mutex mutex;
  std::map<std::string, unsigned> per_ip;
  unsigned sessions = 0;
};

asio::awaitable<void> converse(Endpoint& endpoint, Connection& connection) {
  if (endpoint.implicit_tls) {
    std::string error;
    if (!co_await connection.start_tls(*endpoint.implicit_tls, endpoint.limits.handshake_timeout,
                                       error)) {
      log::info("{} TLS handshake with [{}] failed: {}", endpoint.name, connection.peer_ip(),
                error);
      co_return;
    }
  }
  co_await endpoint.service->serve(connection);
}

}  // namespace

struct Server::Impl {
  // One per listening socket and loop: each loop accepts for itself, so a
  // session starts on the thread that accepted it (no hand-over to another
  // thread), and a busy loop simply accepts less.
  static asio::awaitable<void> accept_loop(Endpoint& endpoint, tcp::acceptor& acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        // Out of file descriptors (or memory) the listener stays readable:
        // pause before trying again instead of spinning, and say so once a
        // pause, not once a try.
        log::warning("{} accept failed: {}; pausing new connections for 100 ms", endpoint.name,
                     ec.message());
        asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      boost::system::error_code peer_ec;
      std::string ip = socket.remote_endpoint(peer_ec).address().to_string();
      if (const auto busy = endpoint.admit(ip)) {
        // Say why before closing, as Postfix's anvil does. The reply fits
        // any socket's send buffer, so this write does not block.
        const std::string_view reply = endpoint.service->busy_reply(*busy);
        log::info("{} refused [{}]: {}", endpoint.name, ip,
                  reply.empty() ? std::string_view("too many connections")
                                : reply.substr(0, reply.find_last_not_of("\r\n") + 1));
        boost::system::error_code ignored;
        if (!reply.empty()) asio::write(socket, asio::buffer(reply), ignored);
        socket.close(ignored);
        continue;
      }
      // Sessions batch their output themselves (Connection::write, then one
      // flush when they wait), so Nagle's algorithm only adds a delayed-ACK
      // wait when a reply goes out as a large write and a small one (IMAP's
      // FETCH data, then its tagged OK): 40 ms a command.
      boost::system::error_code nodelay_ec;
      socket.set_option(tcp::no_delay(true), nodelay_ec);
      auto executor = acceptor.get_executor();
      asio::co_spawn(
          executor,
          [&endpoint, executor, s = std::move(socket), ip]() mutable -> asio::awaitable<void> {
            Connection connection(executor, make_tcp_stream(std::move(s)), ip,
                                  [&endpoint, ip] { endpoint.release(ip); });
            co_await connection.run(converse(endpoint, connection));
            connection.close();
          },
          [&endpoint, ip](std::exception_ptr e) {
            endpoint.end_session();
            if (e) {
              try {
                std::rethrow_exception(e);
              } catch (const std::exception& ex) {
                log::error("{} session from [{}] ended by an exception: {}", endpoint.name, ip,
                           ex.what());
              }
            }
          });
    }
  }

  void close_sockets() {
    for (auto& e : endpoints) {
      for (BoundSocket& b : e->sockets) ::close(b.fd);
      e->sockets.clear();
    }
  }

  std::vector<std::unique_ptr<Endpoint>> endpoints;
  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::vector<std::pair<Endpoint*, std::unique_ptr<tcp::acceptor>>> acceptors;
  std::vector<std::thread> threads;
  bool stopped = false;
};

Server::Server() : impl_(std::make_unique<Impl>()) {}

Server::~Server() {
  stop();
  impl_->close_sockets();
}

void Server::add(ServicePtr service, std::vector<BoundSocket> sockets,
                 std::shared_ptr<TlsContext> implicit_tls) {
  auto e = std::make_unique<Endpoint>();
  e->limits = service->limits();
  e->name = std::string(service->name());
  e->service = std::move(service);
  e->sockets = std::move(sockets);
  e->implicit_tls = std::move(implicit_tls);
  impl_->endpoints.push_back(std::move(e));
}

Status Server::start(size_t threads) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i)
    impl_->loops.push_back(std::make_unique<asio::io_context>(1));
  for (auto& endpoint : impl_->endpoints) {
    for (BoundSocket& b : endpoint->sockets) {
      // The socket is IPv4 or IPv6; ask it which.
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      getsockname(b.fd, reinterpret_cast<sockaddr*>(&addr), &len);
      const tcp protocol = addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
      for (size_t i = 0; i < impl_->loops.size(); ++i) {
        // Every loop gets its own descriptor of the one listening socket.
        const int fd = ::fcntl(b.fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
          impl_->close_sockets();
          return fail(sys_error(errno, "duplicate listener", b.address));
        }
        boost::system::error_code ec;
        auto acceptor = std::make_unique<tcp::acceptor>(*impl_->loops[i]);
        acceptor->assign(protocol, fd, ec);
        if (ec) {
          ::close(fd);
          impl_->close_sockets();
          return fail(ErrorKind::kInternal, "cannot adopt listener " + b.address);
        }
        impl_->acceptors.emplace_back(endpoint.get(), std::move(acceptor));
      }
      log::info("{} listening on {}{}", endpoint->name, b.address,
                endpoint->implicit_tls ? " (TLS)" : "");
    }
  }
  // Each acceptor holds its own descriptor now.
  impl_->close_sockets();
  for (auto& [endpoint, acceptor] : impl_->acceptors) {
    asio::co_spawn(acceptor->get_executor(), Impl::accept_loop(*endpoint, *acceptor),
                   asio::detached);
  }
  for (auto& loop : impl_->loops) {
    impl_->threads.emplace_back([&loop] {
      auto guard = asio::make_work_guard(*loop);
      loop->run();
    });
  }
  return ok();
}

void Server::stop() {
  if (impl_->stopped || impl_->threads.empty()) return;
  impl_->stopped = true;
  for (auto& [endpoint, acceptor] : impl_->acceptors) {
    asio::post(acceptor->get_executor(), [a = acceptor.get()] {
      boost::system::error_code ignored;
      a->close(ignored);
    });
  }
  for (auto& loop : impl_->loops) loop->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  for (auto& e : impl_->endpoints) e->service->stopped();
}

}  // namespace hm::net
