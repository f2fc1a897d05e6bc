#pragma once
// One SMTP conversation: a state machine over a net::Connection, which owns
// the stream, the deadlines and the buffers. Internal to the SMTP service:
// includes Asio, so only smtp_service.cc, smtp_session.cc and the session
// tests (which drive it over a stream in memory) include it.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "delivery/delivery_agent.h"
#include "directory/async_directory.h"
#include "net/asio.h"
#include "net/connection.h"
#include "smtp/byte_budget.h"
#include "smtp/message_spool.h"
#include "smtp/proto/command.h"
#include "smtp/proto/line_ends.h"
#include "smtp/proto/reply.h"
#include "smtp/smtp_service.h"

namespace hm::smtp {

namespace asio = net::asio;

// What sessions share: settings, the directory, delivery, TLS, counters.
struct SessionContext {
  SmtpSettings settings;
  directory::AsyncDirectory& directory;
  delivery::DeliveryAgent& agent;
  asio::thread_pool& delivery_pool;
  net::TlsContext* starttls = nullptr;  // a certificate is configured: offer STARTTLS
  std::atomic<uint64_t> next_id{0};
  ByteBudget delivery_memory{settings.delivery_memory};
};

class Session {
 public:
  Session(SessionContext& context, net::Connection& connection);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // The conversation, from the greeting to the close.
  asio::awaitable<void> run();

 private:
  asio::awaitable<bool> flush();      // sends queued replies; false if that failed
  void reply(const proto::Reply& r);  // logs a refusal (4xx, 5xx), then send()
  void send(const proto::Reply& r);   // queues the reply for the next flush()
  void reply(int code, std::string_view enhanced, std::string_view text);
  net::TransferLimits transfer_limits() const;

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
  net::Connection& conn_;
  const std::string& peer_ip_;
  bool closing_ = false;
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
