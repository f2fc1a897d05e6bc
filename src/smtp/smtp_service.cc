#include "smtp/smtp_service.h"

#include "net/service.h"
#include "net/tls.h"
#include "smtp/smtp_session.h"

namespace hm::smtp {
namespace {

class SmtpService final : public net::Service {
 public:
  SmtpService(SmtpSettings s, std::shared_ptr<net::TlsContext> starttls,
              directory::AsyncDirectory& d, delivery::DeliveryAgent& a, RateLimiter* rates)
      : delivery_pool_(s.delivery_threads),
        starttls_(std::move(starttls)),
        context_{std::move(s), d, a, delivery_pool_, starttls_.get(), rates} {}

  std::string_view name() const override { return context_.settings.service_name; }

  net::ServiceLimits limits() const override {
    net::ServiceLimits l;
    l.max_sessions = context_.settings.max_sessions;
    l.connections_per_ip = context_.settings.connections_per_ip;
    l.handshake_timeout = context_.settings.command_timeout;
    return l;
  }

  std::string_view busy_reply(Busy why) const override {
    return why == Busy::kTooMany
               ? "421 4.7.0 Too many connections, try again later\r\n"
               : "421 4.7.0 Too many connections from your address, try again later\r\n";
  }

  asio::awaitable<void> serve(net::Connection& connection) override {
    Session session(context_, connection);
    co_await session.run();
  }

  void stopped() override { delivery_pool_.join(); }

 private:
  asio::thread_pool delivery_pool_;
  std::shared_ptr<net::TlsContext> starttls_;
  SessionContext context_;
};

}  // namespace

net::ServicePtr make_smtp_service(SmtpSettings settings, std::shared_ptr<net::TlsContext> starttls,
                                  directory::AsyncDirectory& directory,
                                  delivery::DeliveryAgent& agent, RateLimiter* rates) {
  return net::ServicePtr(
      new SmtpService(std::move(settings), std::move(starttls), directory, agent, rates));
}

}  // namespace hm::smtp
