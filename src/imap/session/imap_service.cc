#include "imap/session/imap_service.h"

#include "imap/session/session.h"
#include "net/service.h"
#include "net/tls.h"

namespace hm::imap {
namespace {

class ImapService final : public net::Service {
 public:
  ImapService(ImapSettings s, std::shared_ptr<net::TlsContext> starttls,
              directory::AsyncDirectory& d, AccountOpener open_account)
      : pool_(s.worker_threads),
        starttls_(std::move(starttls)),
        context_{std::move(s), d, std::move(open_account), pool_, starttls_.get()} {}

  std::string_view name() const override { return "imap"; }

  net::ServiceLimits limits() const override {
    net::ServiceLimits l;
    l.max_sessions = context_.settings.max_sessions;
    l.connections_per_ip = context_.settings.connections_per_ip;
    l.handshake_timeout = std::chrono::seconds(60);
    return l;
  }

  std::string_view busy_reply(Busy why) const override {
    return why == Busy::kTooMany ? "* BYE Too many connections, try again later\r\n"
                                 : "* BYE Too many connections from your address\r\n";
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

net::ServicePtr make_imap_service(ImapSettings settings, std::shared_ptr<net::TlsContext> starttls,
                                  directory::AsyncDirectory& directory,
                                  AccountOpener open_account) {
  return net::ServicePtr(new ImapService(std::move(settings), std::move(starttls), directory,
                                         std::move(open_account)));
}

}  // namespace hm::imap
