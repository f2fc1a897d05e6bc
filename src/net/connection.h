#pragma once
// One client connection, as protocol sessions use it: buffered line reads
// with a length limit, reads of a counted number of bytes (BDAT chunks,
// IMAP literals), pipelined writes sent when the session next waits, a
// STARTTLS upgrade, and deadlines enforced by one watchdog. A session is a
// state machine over this; it never sees a socket, so tests drive it over
// a stream in memory (tests/support/memory_stream.h).
//
// Single-threaded: a connection and its session live on the event loop
// that accepted it. Asio inside: include only from servers' and sessions'
// .cc files.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/asio.h"
#include "net/stream.h"

namespace hm::net {

// How long a transfer of counted or terminated data (DATA, BDAT, an IMAP
// literal) may take: `timeout` plus one second per `min_rate` bytes
// received, and no single read longer than `timeout`. A minimum average
// rate rather than a silence limit restarted by every read, which one byte
// every few seconds defeats.
struct TransferLimits {
  std::chrono::seconds timeout{600};
  uint32_t min_rate = 500;  // bytes per second, > 0
};

class Connection {
 public:
  enum class Read { kLine, kTooLong, kClosed, kTimeout };

  // `release_address` gives back the connection's place in its service's
  // per-address limit; called once, by release_address() or at the end.
  Connection(const asio::any_io_executor& executor, std::unique_ptr<Stream> stream,
             std::string peer_ip, std::function<void()> release_address = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& peer_ip() const { return peer_ip_; }
  bool secure() const { return stream_->secure(); }
  bool timed_out() const { return timed_out_; }

  // Runs `conversation` with the watchdog beside it, and ends both when the
  // conversation ends. Once a deadline passes, the pending operation ends
  // (timed_out() is then true) and the session has a short while to say
  // goodbye before the stream is closed under it.
  asio::awaitable<void> run(asio::awaitable<void> conversation);

  // The deadline of the next operations.
  void arm(std::chrono::seconds timeout);
  void arm_at(std::chrono::steady_clock::time_point deadline);

  // The next line, without its CRLF (a bare LF also ends a line). Sends the
  // queued output first when it has to wait. The whole line must arrive
  // within `timeout` of when waiting began, so a client that sends a byte
  // every few seconds cannot stay for ever. A line longer than `limit`
  // bytes (with its line end) is read to its end and dropped: kTooLong.
  asio::awaitable<Read> read_line(std::string& line, size_t limit, std::chrono::seconds timeout);

  // Bytes read and not yet consumed; a session that decodes data itself
  // (SMTP's DATA) consumes from here and calls read_more() for more.
  std::string& input() { return in_; }

  // A transfer in progress: when it began and what it has brought.
  class Transfer {
   public:
    explicit Transfer(TransferLimits limits)
        : limits_(limits), start_(std::chrono::steady_clock::now()) {}

   private:
    friend class Connection;
    TransferLimits limits_;
    std::chrono::steady_clock::time_point start_;
    uint64_t received_ = 0;
  };
  // Appends what arrives next to input(), within the transfer's deadline;
  // false when the client closed, failed or ran out of time.
  asio::awaitable<bool> read_more(Transfer& transfer);

  // As read_more(), but gives up after `tick` when nothing came (the read
  // is then cancelled; nothing read is lost: it is in input()). For a
  // session that waits for input and must also act every so often (IMAP's
  // IDLE looks for new mail every second). kClosed as read_more's false.
  enum class Wait { kInput, kTick, kClosed };
  asio::awaitable<Wait> read_more_or_tick(Transfer& transfer, std::chrono::milliseconds tick);

  // Hands the next `count` bytes to `take(std::string_view)` as they arrive,
  // in pieces, without holding more than one read in memory; false when
  // the connection ended first.
  template <typename Take>
  asio::awaitable<bool> read_counted(uint64_t count, Transfer& transfer, Take take) {
    while (count > 0) {
      if (in_.empty() && !co_await read_more(transfer)) co_return false;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(count, in_.size()));
      take(std::string_view(in_).substr(0, n));
      in_.erase(0, n);
      count -= n;
    }
    co_return true;
  }

  // Queues output; flush() sends it. Replies to pipelined commands go out
  // together when the session next waits for input.
  void write(std::string_view data) { out_ += data; }
  // Sends the queued output within `timeout`; false if that failed.
  asio::awaitable<bool> flush(std::chrono::seconds timeout);

  // Upgrades to TLS within `timeout`. Input already buffered was sent in
  // clear text and is discarded, never taken as if it came through TLS
  // (CVE-2011-0411); queued output must be flushed before. False with
  // `error` set when the handshake failed: the connection is then unusable.
  asio::awaitable<bool> start_tls(TlsContext& tls, std::chrono::seconds timeout,
                                  std::string& error);

  // Gives back the place in the per-address limit before the connection
  // ends (a client that said goodbye and reconnects at once must not find
  // its departing connection still counted).
  void release_address();

  void close() { stream_->close(); }

 private:
  asio::awaitable<void> watch();
  asio::awaitable<bool> read_more();  // the caller arms the deadline

  std::unique_ptr<Stream> stream_;
  std::string peer_ip_;
  std::function<void()> release_address_;
  std::string in_;   // bytes read, not yet consumed
  std::string out_;  // output not yet written
  // One timer per connection rather than one per read (a timer and two
  // spawned coroutines per read cost more CPU than the read). Every read,
  // write and handshake first sets deadline_ (arm); the watchdog sleeps
  // until the deadline it last saw, and when the current one has passed,
  // cancels the stream's pending operation.
  asio::steady_timer watchdog_;
  std::chrono::steady_clock::time_point deadline_;
  bool timed_out_ = false;
};

}  // namespace hm::net
