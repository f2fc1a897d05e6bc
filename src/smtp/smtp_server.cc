#include "smtp/smtp_server.h"

#include <fcntl.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <thread>

#include "base/log.h"
#include "base/sys_error.h"
#include "smtp/smtp_session.h"

namespace hm::smtp {

struct SmtpServer::Impl {
  Impl(SmtpSettings s, directory::AsyncDirectory& d, delivery::DeliveryAgent& a)
      : delivery_pool(s.delivery_threads),
        tls_context(asio::ssl::context::tls_server),
        context{std::move(s), d, a, delivery_pool, tls_context} {}

  // Limits sessions in all and per client address. A session's place among
  // all is given back when it ends, however it ends; its place among its
  // address's when QUIT is answered (see Session), else when it ends.
  enum class Admission { kAdmitted, kTooManyFromAddress, kTooMany };
  Admission admit(const std::string& ip) {
    std::lock_guard lock(mutex);
    if (sessions >= context.settings.max_sessions) return Admission::kTooMany;
    unsigned& n = per_ip[ip];
    if (n >= context.settings.connections_per_ip) return Admission::kTooManyFromAddress;
    ++n;
    ++sessions;
    return Admission::kAdmitted;
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

  // One per listening socket and loop: each loop accepts for itself, so a
  // session starts on the thread that accepted it (no hand-over to another
  // thread), and a busy loop simply accepts less.
  asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        // Out of file descriptors (or memory) the listener stays readable:
        // pause before trying again instead of spinning, and say so once a
        // pause, not once a try.
        log::warning("smtp accept failed: {}; pausing new connections for 100 ms", ec.message());
        asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      boost::system::error_code peer_ec;
      std::string ip = socket.remote_endpoint(peer_ec).address().to_string();
      const Admission admission = admit(ip);
      if (admission != Admission::kAdmitted) {
        // Say why before closing, as Postfix's anvil does. The reply fits
        // any socket's send buffer, so this write does not block.
        static constexpr std::string_view kFromAddress =
            "421 4.7.0 Too many connections from your address, try again later\r\n";
        static constexpr std::string_view kInAll =
            "421 4.7.0 Too many connections, try again later\r\n";
        const std::string_view busy = admission == Admission::kTooMany ? kInAll : kFromAddress;
        log::info("smtp refused [{}]: {}", ip, busy.substr(0, busy.size() - 2));
        boost::system::error_code ignored;
        asio::write(socket, asio::buffer(busy), ignored);
        socket.close(ignored);
        continue;
      }
      asio::co_spawn(
          acceptor.get_executor(),
          [this, s = std::move(socket), ip]() mutable -> asio::awaitable<void> {
            Session session(context, std::move(s), ip, [this, ip] { release(ip); });
            co_await session.run();
          },
          [this, ip](std::exception_ptr e) {
            end_session();
            if (e) {
              try {
                std::rethrow_exception(e);
              } catch (const std::exception& ex) {
                log::error("smtp session from [{}] ended by an exception: {}", ip, ex.what());
              }
            }
          });
    }
  }

  asio::thread_pool delivery_pool;
  asio::ssl::context tls_context;
  SessionContext context;
  std::vector<std::unique_ptr<asio::io_context>> loops;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::map<std::string, unsigned> per_ip;
  unsigned sessions = 0;
};

SmtpServer::SmtpServer(SmtpSettings settings, directory::AsyncDirectory& directory,
                       delivery::DeliveryAgent& agent)
    : impl_(std::make_unique<Impl>(std::move(settings), directory, agent)) {}

SmtpServer::~SmtpServer() { stop(); }

Status SmtpServer::start(std::vector<net::BoundSocket> sockets, size_t threads) {
  const SmtpSettings& s = impl_->context.settings;
  if (!s.tls_cert.empty() && !s.tls_key.empty()) {
    boost::system::error_code ec;
    impl_->tls_context.set_options(asio::ssl::context::default_workarounds |
                                   asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                                   asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    impl_->tls_context.use_certificate_chain_file(s.tls_cert, ec);
    if (!ec) impl_->tls_context.use_private_key_file(s.tls_key, asio::ssl::context::pem, ec);
    if (ec) {
      for (auto& b : sockets) ::close(b.fd);
      return fail(ErrorKind::kInvalid, "cannot load the TLS certificate " + s.tls_cert +
                                           " or key " + s.tls_key + ": " + ec.message());
    }
    impl_->context.tls_enabled = true;
  }
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i)
    impl_->loops.push_back(std::make_unique<asio::io_context>(1));
  for (net::BoundSocket& b : sockets) {
    // The socket is IPv4 or IPv6; ask it which.
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    getsockname(b.fd, reinterpret_cast<sockaddr*>(&addr), &len);
    const tcp protocol = addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
    for (size_t i = 0; i < impl_->loops.size(); ++i) {
      // Every loop gets its own descriptor of the one listening socket.
      int fd = i == 0 ? b.fd : ::fcntl(b.fd, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return fail(sys_error(errno, "duplicate listener", b.address));
      boost::system::error_code ec;
      auto acceptor = std::make_unique<tcp::acceptor>(*impl_->loops[i]);
      acceptor->assign(protocol, fd, ec);
      if (ec) {
        ::close(fd);
        return fail(ErrorKind::kInternal, "cannot adopt listener " + b.address);
      }
      impl_->acceptors.push_back(std::move(acceptor));
    }
    log::info("smtp listening on {}", b.address);
  }
  for (auto& a : impl_->acceptors) {
    asio::co_spawn(a->get_executor(), impl_->accept_loop(*a), asio::detached);
  }
  for (auto& loop : impl_->loops) {
    impl_->threads.emplace_back([&loop] {
      auto guard = asio::make_work_guard(*loop);
      loop->run();
    });
  }
  return ok();
}

void SmtpServer::stop() {
  if (impl_->threads.empty()) return;
  for (auto& a : impl_->acceptors) {
    asio::post(a->get_executor(), [&a] {
      boost::system::error_code ignored;
      a->close(ignored);
    });
  }
  for (auto& loop : impl_->loops) loop->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  impl_->delivery_pool.join();
}

}  // namespace hm::smtp
