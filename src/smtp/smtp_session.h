#pragma once
// One SMTP connection, as a coroutine on its connection's io_context. Internal
// to the SMTP server: includes Asio, so only smtp_server.cc and
// smtp_session.cc include it.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delivery/delivery_agent.h"
#include "directory/async_directory.h"
#include "net/asio.h"
#include "smtp/byte_budget.h"
#include "smtp/message_spool.h"
#include "smtp/proto/command.h"
#include "smtp/proto/line_ends.h"
#include "smtp/proto/reply.h"
#include "smtp/smtp_server.h"

namespace hm::smtp {

namespace asio = net::asio;
using net::tcp;

// What sessions share: settings, the directory, delivery, TLS, counters.
struct SessionContext {
  SmtpSettings settings;
  directory::AsyncDirectory& directory;
  delivery::DeliveryAgent& agent;
  asio::thread_pool& delivery_pool;
  asio::ssl::context& tls_context;  // always present; used only when tls_enabled
  bool tls_enabled = false;         // a certificate is configured: offer STARTTLS
  std::atomic<uint64_t> next_id{0};
  ByteBudget delivery_memory{settings.delivery_memory};
};

class Session {
 public:
  // `release_address` gives back the session's place in the per-address
  // limit; called once, when QUIT is answered or else at the end.
  Session(SessionContext& context, tcp::socket socket, std::string peer_ip,
          std::function<void()> release_address);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  asio::awaitable<void> run();

 private:
  enum class Read { kLine, kTooLong, kClosed, kTimeout };

  // The conversation, and its watchdog beside it: one timer per session
  // rather than one per read (a timer and two spawned coroutines per read
  // cost more CPU than the read). Every read, write and TLS handshake first
  // sets deadline_ (arm); the watchdog sleeps until the deadline it last
  // saw, and when the current one has passed, cancels the socket's pending
  // operation, which then ends with timed_out_ set.
  asio::awaitable<void> converse();
  asio::awaitable<void> watch();
  void arm(std::chrono::seconds timeout);
  void arm_at(std::chrono::steady_clock::time_point deadline);
  // The deadline of a DATA or BDAT transfer that began at `start` and has
  // brought `received` bytes so far (see data_min_rate).
  void arm_data(std::chrono::steady_clock::time_point start, uint64_t received);
  void release_address();

  asio::awaitable<Read> read_line(std::string& line);
  asio::awaitable<bool> read_more();  // the caller arms the deadline
  asio::awaitable<bool> flush();
  void reply(const proto::Reply& r);  // logs a refusal (4xx, 5xx), then send()
  void send(const proto::Reply& r);   // queues the reply for the next flush()
  void reply(int code, std::string_view enhanced, std::string_view text);

  asio::awaitable<bool> handle(const proto::Command& command);
  void do_ehlo(const proto::Command& c);
  void do_mail(const proto::Command& c);
  asio::awaitable<void> do_rcpt(const proto::Command& c);
  asio::awaitable<bool> do_data();
  asio::awaitable<bool> do_bdat(const proto::Command& c);
  asio::awaitable<bool> do_starttls();
  // The message's id and our Received: header, made when its data begins
  // (as Postfix does), so the header is the first bytes stored and never
  // has to be put in front of a message already received.
  std::string begin_message();
  // Moves what `buffer` holds to `spool` once past the threshold; false
  // when the spool failed (the message is then dropped, and the buffer
  // cleared, while the transfer goes on to its end).
  bool spill(std::string& buffer, std::unique_ptr<MessageSpool>& spool, bool at_end);
  asio::awaitable<void> finish_message(std::string_view message, bool large);
  // finish_message() over a spooled message's read-only mapping; 451 when
  // the spool cannot be mapped.
  asio::awaitable<void> finish_spooled(MessageSpool& spool);
  void reset_transaction();
  bool count_error();  // false when the session must end

  std::string received_header(const std::string& id) const;

  SessionContext& ctx_;
  tcp::socket socket_;
  // Made at STARTTLS only: an SSL object and its 34 KB of buffers for every
  // connection would cost more than most sessions' whole conversation.
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_stream_;
  bool tls_ = false;              // the handshake succeeded: all traffic goes through tls_stream_
  std::vector<char> tls_buffer_;  // what TLS reads decrypt into
  std::string peer_ip_;
  std::function<void()> release_address_;
  std::string in_;   // bytes read, not yet consumed
  std::string out_;  // replies not yet written
  bool closing_ = false;
  bool timed_out_ = false;  // the watchdog cancelled an operation that ran too long
  asio::steady_timer watchdog_;
  std::chrono::steady_clock::time_point deadline_;
  unsigned errors_ = 0;

  // Session and transaction state.
  std::string helo_;
  bool esmtp_ = false;
  std::optional<std::string> sender_;
  bool smtputf8_ = false;
  uint64_t announced_size_ = 0;  // MAIL FROM's SIZE=, 0 when not given
  std::vector<delivery::Recipient> recipients_;
  std::string message_id_;  // of the message whose data is arriving
  std::string chunks_;      // BDAT data so far (with our header, normalised), or its tail
  std::unique_ptr<MessageSpool> bdat_spool_;  // the rest of it, once large
  proto::LineEndNormalizer bdat_lines_;
  uint64_t bdat_bytes_ = 0;     // BDAT octets received for this message
  bool chunks_failed_ = false;  // too large: the rest is read and dropped
  bool spool_failed_ = false;   // the spool file could not be written
  bool chunking_ = false;
};

}  // namespace hm::smtp
