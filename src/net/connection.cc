#include "net/connection.h"

#include <utility>

namespace hm::net {

using namespace asio::experimental::awaitable_operators;

Connection::Connection(const asio::any_io_executor& executor, std::unique_ptr<Stream> stream,
                       std::string peer_ip, std::function<void()> release_address)
    : stream_(std::move(stream)),
      peer_ip_(std::move(peer_ip)),
      release_address_(std::move(release_address)),
      watchdog_(executor),
      deadline_(std::chrono::steady_clock::time_point::max()) {}

Connection::~Connection() { release_address(); }

void Connection::release_address() {
  if (release_address_) std::exchange(release_address_, nullptr)();
}

asio::awaitable<void> Connection::run(asio::awaitable<void> conversation) {
  // `||` ends the watchdog (cancels its wait) when the conversation ends;
  // the watchdog ends on its own only when a goodbye overran its time, and
  // then ends the conversation.
  co_await (std::move(conversation) || watch());
}

void Connection::arm(std::chrono::seconds timeout) {
  arm_at(std::chrono::steady_clock::now() + timeout);
}

void Connection::arm_at(std::chrono::steady_clock::time_point deadline) {
  if (timed_out_) return;  // only the goodbye is left, on the watchdog's short leash
  const bool earlier = deadline < deadline_;
  deadline_ = deadline;
  // The watchdog sleeps until the deadline it last saw; one that moves
  // earlier (a command after a long DATA) must wake it, or it would be
  // enforced only when the old one passes. Once per message at most.
  if (earlier) watchdog_.cancel();
}

asio::awaitable<void> Connection::watch() {
  // How long the goodbye after a timeout may take before it is cut off too.
  constexpr std::chrono::seconds kGoodbye{10};
  for (;;) {
    watchdog_.expires_at(deadline_);
    auto [ec] = co_await watchdog_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      // Cancelled by `||` (the conversation is over), or by arm_at() moving
      // the deadline earlier: then wait again.
      auto state = co_await asio::this_coro::cancellation_state;
      if (state.cancelled() != asio::cancellation_type::none) co_return;
      continue;
    }
    if (std::chrono::steady_clock::now() < deadline_) continue;  // armed again meanwhile
    if (timed_out_) {
      // The goodbye ran out too, or the conversation is stuck: ending here
      // ends run() (`||` then cancels the conversation), so no connection
      // can outlive its deadlines.
      stream_->close();
      co_return;
    }
    timed_out_ = true;
    stream_->cancel();
    deadline_ = std::chrono::steady_clock::now() + kGoodbye;
  }
}

asio::awaitable<bool> Connection::flush(std::chrono::seconds timeout) {
  if (out_.empty()) co_return true;
  arm(timeout);
  const bool written = co_await stream_->write(out_);
  out_.clear();
  co_return written && !timed_out_;
}

asio::awaitable<bool> Connection::read_more() {
  if (timed_out_) co_return false;
  const bool more = co_await stream_->read_some(in_);
  co_return more && !timed_out_;
}

asio::awaitable<bool> Connection::read_more(Transfer& t) {
  const auto now = std::chrono::steady_clock::now();
  const auto earned = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::microseconds(t.received_ * 1'000'000 / t.limits_.min_rate));
  arm_at(std::min(t.start_ + t.limits_.timeout + earned, now + t.limits_.timeout));
  const size_t before = in_.size();
  const bool more = co_await read_more();
  t.received_ += in_.size() - before;
  co_return more;
}

asio::awaitable<Connection::Wait> Connection::read_more_or_tick(Transfer& t,
                                                                std::chrono::milliseconds tick) {
  const size_t before = in_.size();
  asio::steady_timer timer(co_await asio::this_coro::executor, tick);
  // `||` cancels the loser. A cancelled read consumed nothing (the plain
  // socket only waited for readability; TLS keeps a partial record in its
  // engine); bytes a read did append are in in_ whichever side won.
  const auto won = co_await (timer.async_wait(asio::as_tuple(asio::use_awaitable)) || read_more(t));
  if (in_.size() > before) co_return Wait::kInput;
  if (won.index() == 0 && !timed_out_) co_return Wait::kTick;
  co_return Wait::kClosed;
}

asio::awaitable<Connection::Read> Connection::read_line(std::string& line, size_t limit,
                                                        std::chrono::seconds timeout) {
  bool too_long = false;
  bool armed = false;
  for (;;) {
    const size_t lf = in_.find('\n');
    if (lf != std::string::npos) {
      if (too_long || lf + 1 > limit) {
        in_.erase(0, lf + 1);
        co_return Read::kTooLong;
      }
      size_t end = lf;
      if (end > 0 && in_[end - 1] == '\r') --end;
      line.assign(in_, 0, end);
      in_.erase(0, lf + 1);
      co_return Read::kLine;
    }
    if (in_.size() > limit) {
      // Overlong: drop what we have and keep dropping until the line ends.
      too_long = true;
      in_.clear();
    }
    // Nothing more buffered: send the pipelined replies before waiting.
    if (!co_await flush(timeout)) co_return timed_out_ ? Read::kTimeout : Read::kClosed;
    if (!armed) {
      arm(timeout);
      armed = true;
    }
    if (!co_await read_more()) co_return timed_out_ ? Read::kTimeout : Read::kClosed;
  }
}

asio::awaitable<bool> Connection::start_tls(TlsContext& tls, std::chrono::seconds timeout,
                                            std::string& error) {
  in_.clear();
  arm(timeout);
  const bool ok = co_await stream_->start_tls(tls, error);
  if (ok && timed_out_) {
    error = "timed out";
    co_return false;
  }
  co_return ok;
}

}  // namespace hm::net
