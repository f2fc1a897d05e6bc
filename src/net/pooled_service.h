#pragma once
// A Service whose sessions share one worker pool for their blocking calls
// (the store's fsyncs, the directory): IMAP and POP3 are this with their own
// Session, its context and their own words at the door. The context is
// built as {settings, the rest..., pool, STARTTLS context} and must have
// `settings.max_sessions`, `settings.connections_per_ip` and
// `settings.worker_threads`. Asio inside, as net/service.h.

#include <chrono>
#include <memory>
#include <string_view>
#include <utility>

#include "net/service.h"
#include "net/tls.h"

namespace hm::net {

struct DoorWords {
  std::string_view name;      // "imap", "pop3"
  std::string_view too_many;  // the busy replies, with CRLF
  std::string_view too_many_from_address;
};

template <typename Session, typename Context>
class PooledService final : public Service {
 public:
  template <typename Settings, typename... Rest>
  PooledService(DoorWords words, Settings settings, std::shared_ptr<TlsContext> starttls,
                Rest&&... rest)
      : words_(words),
        pool_(settings.worker_threads),
        starttls_(std::move(starttls)),
        context_{std::move(settings), std::forward<Rest>(rest)..., pool_, starttls_.get()} {}

  std::string_view name() const override { return words_.name; }

  ServiceLimits limits() const override {
    ServiceLimits l;
    l.max_sessions = context_.settings.max_sessions;
    l.connections_per_ip = context_.settings.connections_per_ip;
    l.handshake_timeout = std::chrono::seconds(60);
    return l;
  }

  std::string_view busy_reply(Busy why) const override {
    return why == Busy::kTooMany ? words_.too_many : words_.too_many_from_address;
  }

  asio::awaitable<void> serve(Connection& connection) override {
    Session session(context_, connection);
    co_await session.run();
  }

  void stopped() override { pool_.join(); }

 private:
  DoorWords words_;
  asio::thread_pool pool_;
  std::shared_ptr<TlsContext> starttls_;
  Context context_;
};

}  // namespace hm::net
