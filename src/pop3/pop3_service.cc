#include "pop3/pop3_service.h"

#include "net/service.h"
#include "net/tls.h"
#include "pop3/session.h"

namespace hm::pop3 {
namespace {

class Pop3Service final : public net::Service {
 public:
  Pop3Service(Pop3Settings s, std::shared_ptr<net::TlsContext> starttls,
              directory::AsyncDirectory& d, mail_access::AccountOpener open_account)
      : pool_(s.worker_threads),
        starttls_(std::move(starttls)),
        context_{std::move(s), d, std::move(open_account), pool_, starttls_.get()} {}

  std::string_view name() const override { return "pop3"; }

  net::ServiceLimits limits() const override {
    net::ServiceLimits l;
    l.max_sessions = context_.settings.max_sessions;
    l.connections_per_ip = context_.settings.connections_per_ip;
    l.handshake_timeout = std::chrono::seconds(60);
    return l;
  }

  std::string_view busy_reply(Busy why) const override {
    return why == Busy::kTooMany ? "-ERR [SYS/TEMP] Too many connections, try again later\r\n"
                                 : "-ERR [SYS/TEMP] Too many connections from your address\r\n";
  }

  asio::awaitable<void> serve(net::Connection& connection) override {
    Session session(context_, connection);
    co_await session.run();
  }

  void stopped() override { pool_.join(); }

 private:
  asio::thread_pool pool_;
  std::shared_ptr<net::TlsContext> starttls_;
  SessionContext context_;
};

}  // namespace

net::ServicePtr make_pop3_service(Pop3Settings settings, std::shared_ptr<net::TlsContext> starttls,
                                  directory::AsyncDirectory& directory,
                                  mail_access::AccountOpener open_account) {
  return net::ServicePtr(new Pop3Service(std::move(settings), std::move(starttls), directory,
                                         std::move(open_account)));
}

}  // namespace hm::pop3
