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
#include "directory/principal.h"
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

// Now, as Date: and Received: write it.
std::string rfc5322_date();

// What sessions share: settings, the directory, delivery, TLS, counters.
struct SessionContext {
  SmtpSettings settings;
  directory::AsyncDirectory& directory;
  delivery::DeliveryAgent& agent;
  asio::thread_pool& delivery_pool;
  net::TlsContext* starttls = nullptr;  // a certificate is configured: offer STARTTLS
  RateLimiter* rates = nullptr;         // null: no limits
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
  void do_mail(const proto::Command& c);  // after handle() checked the sender
  asio::awaitable<void> do_rcpt(const proto::Command& c);
  asio::awaitable<bool> do_data();
  asio::awaitable<bool> do_bdat(const proto::Command& c);
  asio::awaitable<bool> do_starttls();

  // AUTH and what a logged-in user may do (smtp_auth.cc).
  bool offers_auth() const { return ctx_.settings.submission || ctx_.settings.offer_auth; }
  // Whether rates are counted: submission clients and logged-in users only,
  // so that port 25's inbound path does no extra work.
  bool rate_limited() const { return ctx_.rates && (ctx_.settings.submission || user_); }
  bool admit(RateLimiter::What what);  // false: 451 4.7.1 sent
  asio::awaitable<bool> do_auth(const proto::Command& c);
  // Sends a 334 challenge and reads the answer; nullopt when the client is
  // gone (or timed out, which is then told).
  asio::awaitable<std::optional<std::string>> challenge(std::string_view text);
  // Whether the logged-in user may send as `address`; a 553 (or a 451 when
  // the directory fails) is sent when not.
  asio::awaitable<bool> owns(const std::string& address, std::string_view what);
  // Checks From: and adds what RFC 6409 completes; false when the message
  // was refused (the reply is sent). `completed` receives the message with
  // the added fields, left empty when nothing was added.
  asio::awaitable<bool> complete_submission(std::string_view message, std::string& completed);
  // The directory's resolve, inline or on its workers (async_directory.h).
  asio::awaitable<Result<directory::Resolution>> lookup(const std::string& address);
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
  std::optional<directory::Principal> user_;  // after a successful AUTH
  std::optional<std::string> sender_;
  bool smtputf8_ = false;
  uint64_t announced_size_ = 0;  // MAIL FROM's SIZE=, 0 when not given
  std::vector<delivery::Recipient> recipients_;
  std::string message_id_;    // of the message whose data is arriving
  size_t received_size_ = 0;  // our Received: field at the front of the message
  std::string chunks_;        // BDAT data so far (with our header, normalised), or its tail
  std::unique_ptr<MessageSpool> bdat_spool_;  // the rest of it, once large
  proto::LineEndNormalizer bdat_lines_;
  uint64_t bdat_bytes_ = 0;     // BDAT octets received for this message
  bool chunks_failed_ = false;  // too large: the rest is read and dropped
  bool spool_failed_ = false;   // the spool file could not be written
  bool chunking_ = false;
};

}  // namespace hm::smtp
