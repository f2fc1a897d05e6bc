#include "smtp/smtp_session.h"

#include <ctime>

#include "base/log.h"
#include "base/strings.h"
#include "smtp/proto/command_parser.h"
#include "smtp/proto/data_decoder.h"
#include "smtp/proto/error_status.h"
#include "smtp/proto/sasl.h"

namespace hm::smtp {

using proto::Reply;
using proto::Verb;

std::string rfc5322_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &tm);
  return buf;
}

namespace {

// A recipient's error as the RCPT reply: the status from the one table
// (smtp/proto/error_status.h), which the queue's records and bounces share.
using proto::rcpt_reply;

}  // namespace

Session::Session(SessionContext& context, net::Connection& connection)
    : ctx_(context), conn_(connection), peer_ip_(connection.peer_ip()) {}

net::TransferLimits Session::transfer_limits() const {
  return {ctx_.settings.data_timeout, ctx_.settings.data_min_rate};
}

void Session::reply(const Reply& r) {
  // Every refusal is logged, so an administrator can see why a sender's
  // mail did not arrive; replies of 2xx and 3xx are not.
  if (r.code >= 400 && !r.lines.empty()) {
    log::info("smtp refused [{}]: {} {} {}", peer_ip_, r.code, r.enhanced, r.lines.front());
  }
  send(r);
}

void Session::send(const Reply& r) { conn_.write(proto::format(r, true)); }

void Session::reply(int code, std::string_view enhanced, std::string_view text) {
  reply(proto::make_reply(code, enhanced, text));
}

asio::awaitable<bool> Session::flush() { return conn_.flush(ctx_.settings.command_timeout); }

bool Session::count_error() {
  ++errors_;
  if (errors_ >= ctx_.settings.errors_per_session) {
    reply(421, "4.7.0", ctx_.settings.hostname + " Too many errors, closing connection");
    closing_ = true;
    return false;
  }
  return true;
}

void Session::reset_transaction() {
  sender_.reset();
  smtputf8_ = false;
  announced_size_ = 0;
  recipients_.clear();
  chunks_.clear();
  bdat_spool_.reset();
  bdat_lines_ = proto::LineEndNormalizer();
  bdat_bytes_ = 0;
  chunks_failed_ = false;
  spool_failed_ = false;
  chunking_ = false;
}

asio::awaitable<void> Session::run() {
  log::info("smtp connect from [{}]", peer_ip_);
  reply(220, "", ctx_.settings.hostname + " ESMTP hostmail");
  while (!closing_) {
    std::string line;
    using Read = net::Connection::Read;
    const Read r =
        co_await conn_.read_line(line, ctx_.settings.line_length, ctx_.settings.command_timeout);
    if (r == Read::kClosed) break;
    if (r == Read::kTimeout) {
      reply(421, "4.4.2", ctx_.settings.hostname + " Timeout, closing connection");
      break;
    }
    if (r == Read::kTooLong) {
      reply(
          500, "5.5.2",
          "Line too long (the limit is " + std::to_string(ctx_.settings.line_length) + " octets)");
      count_error();
      continue;
    }
    // SMTPUTF8 is offered, so MAIL may ask for it; RCPT may then use UTF-8.
    proto::ParseOptions options;
    options.smtputf8 = sender_ ? smtputf8_ : true;
    auto parsed = proto::parse_command(line, options);
    if (std::holds_alternative<Reply>(parsed)) {
      reply(std::get<Reply>(parsed));
      count_error();
      continue;
    }
    if (!co_await handle(std::get<proto::Command>(parsed))) break;
  }
  co_await flush();
  conn_.close();
  log::info("smtp disconnect from [{}]", peer_ip_);
}

asio::awaitable<bool> Session::handle(const proto::Command& c) {
  // A logged-in user's sender is looked up first (the only MAIL that
  // waits); port 25's inbound MAIL stays a plain call. Written this way
  // because g++ 12 miscompiled a co_await in the condition of an if here,
  // and inside the switch's case (SIGILL at the first command).
  bool sender_owned = true;
  if (c.verb == Verb::kMail && user_ && ctx_.settings.policy.sender_check && !c.path.empty() &&
      !sender_) {
    sender_owned = co_await owns(c.path, "Sender address");
  }
  if (!sender_owned) co_return true;
  switch (c.verb) {
    case Verb::kHelo:
    case Verb::kEhlo: do_ehlo(c); co_return true;
    case Verb::kMail: do_mail(c); co_return true;
    case Verb::kRcpt: co_await do_rcpt(c); co_return true;
    case Verb::kData: co_return co_await do_data();
    case Verb::kBdat: co_return co_await do_bdat(c);
    case Verb::kRset:
      reset_transaction();
      reply(250, "2.0.0", "Ok");
      co_return true;
    case Verb::kNoop: reply(250, "2.0.0", "Ok"); co_return true;
    case Verb::kQuit:
      reply(221, "2.0.0", ctx_.settings.hostname + " Bye");
      closing_ = true;
      // The client is gone as far as the per-address limit goes: one that
      // reconnects at once for its next message must not find its own
      // departing session still counted.
      conn_.release_address();
      co_return true;
    case Verb::kHelp:
      reply(214, "2.0.0",
            "See RFC 5321; commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY");
      co_return true;
    case Verb::kVrfy:
      reply(252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery");
      co_return true;
    case Verb::kExpn: reply(502, "5.5.1", "EXPN is not available"); co_return true;
    case Verb::kStartTls: co_return co_await do_starttls();
    case Verb::kAuth: co_return co_await do_auth(c);
  }
  co_return true;
}

void Session::do_ehlo(const proto::Command& c) {
  reset_transaction();
  helo_ = c.argument;
  esmtp_ = c.verb == Verb::kEhlo;
  if (!esmtp_) {
    reply(250, "", ctx_.settings.hostname);
    return;
  }
  Reply r;
  r.code = 250;
  r.lines = {ctx_.settings.hostname + " Hello " + helo_ + " [" + peer_ip_ + "]",
             "PIPELINING",
             "SIZE " + std::to_string(ctx_.settings.max_message_size),
             "8BITMIME",
             "ENHANCEDSTATUSCODES",
             "SMTPUTF8",
             "CHUNKING"};
  if (ctx_.starttls && !conn_.secure()) r.lines.emplace_back("STARTTLS");
  // Passwords only over TLS: before it, AUTH is not even advertised.
  if (offers_auth() && conn_.secure()) r.lines.emplace_back("AUTH PLAIN LOGIN");
  r.lines.emplace_back("VRFY");
  reply(r);
}

void Session::do_mail(const proto::Command& c) {
  if (helo_.empty()) {
    reply(503, "5.5.1", "Send HELO or EHLO first");
    count_error();
    return;
  }
  if (sender_) {
    reply(503, "5.5.1", "Nested MAIL command");
    count_error();
    return;
  }
  if (ctx_.settings.submission && !user_) {
    reply(conn_.secure() ? proto::auth_required()
                         : proto::make_reply(530, "5.7.0", "Must issue a STARTTLS command first"));
    count_error();
    return;
  }
  if (const std::string* size = c.param("SIZE")) {
    unsigned long long announced = std::strtoull(size->c_str(), nullptr, 10);
    if (announced > ctx_.settings.max_message_size) {
      reply(552, "5.3.4",
            "Message size exceeds fixed limit of " +
                std::to_string(ctx_.settings.max_message_size) + " octets");
      return;
    }
    announced_size_ = announced;
  }
  if (rate_limited() && !admit(RateLimiter::What::kMessage)) {
    announced_size_ = 0;
    return;
  }
  sender_ = c.path;
  smtputf8_ = c.param("SMTPUTF8") != nullptr;
  reply(250, "2.1.0", "Ok");
}

asio::awaitable<Result<directory::Resolution>> Session::lookup(const std::string& address) {
  if (ctx_.directory.resolves_inline()) co_return ctx_.directory.resolve_now(address);
  // The lambda captures only pointers: g++ 12 destroys non-trivial
  // temporaries of a co_await expression twice.
  const std::string* wanted = &address;
  co_return co_await net::await_callback<Result<directory::Resolution>>(
      [this, wanted](auto done) { ctx_.directory.resolve(*wanted, std::move(done)); });
}

asio::awaitable<void> Session::do_rcpt(const proto::Command& c) {
  if (!sender_) {
    reply(503, "5.5.1", "Need MAIL command first");
    count_error();
    co_return;
  }
  if (recipients_.size() >= ctx_.settings.max_recipients) {
    reply(proto::kTooManyRecipients.code, proto::kTooManyRecipients.enhanced,
          "Too many recipients");
    co_return;
  }
  if (rate_limited() && !admit(RateLimiter::What::kRecipient)) co_return;
  const std::string address = c.path;
  // SQLite answers inline without a coroutine frame of lookup()'s: this
  // is the inbound path, once per recipient.
  Result<directory::Resolution> resolution;
  if (ctx_.directory.resolves_inline()) {
    resolution = ctx_.directory.resolve_now(address);
  } else {
    resolution = co_await lookup(address);
  }
  if (!resolution) {
    // Logged here with the directory's reason rather than by reply().
    const Reply refusal = rcpt_reply(resolution.error(), address);
    log::info("smtp refused [{}]: {} {} rcpt=<{}>: {}", peer_ip_, refusal.code, refusal.enhanced,
              address, resolution.error().describe());
    send(refusal);
    if (!resolution.error().temporary()) count_error();
    co_return;
  }
  if (!resolution->hosted) {
    // Never an open relay: only a logged-in user's mail leaves, through
    // the queue's remote route.
    if (!user_) {
      reply(554, "5.7.1", "<" + address + ">: Relay access denied");
      count_error();
      co_return;
    }
    directory::Destination remote;
    remote.kind = directory::Destination::Kind::kExternal;
    remote.address = resolution->address;
    resolution->destinations = {std::move(remote)};
  }
  if (!resolution->dead_ends.empty()) {
    log::warning("smtp rcpt=<{}>: alias targets that lead nowhere: {}", address,
                 join(resolution->dead_ends, ", "));
  }
  // The same recipient twice gets one copy (the delivery agent also folds
  // mailboxes that two aliases reach); the client is told Ok as before.
  for (const delivery::Recipient& known : recipients_) {
    if (known.rcpt == resolution->address) {
      reply(250, "2.1.5", "Ok");
      co_return;
    }
  }
  // A full mailbox is refused for now (RFC 3463 4.2.2): the sender retries
  // while its owner makes room, instead of the message bouncing later.
  // Reads the small maildirsize file, and only for accounts with a quota.
  if (Status room = ctx_.agent.admits(*resolution, announced_size_); !room) {
    // Larger than the whole quota, it can never fit (the table's status);
    // else it may later.
    const bool never = room.error().kind() == ErrorKind::kOverQuota;
    const Reply refusal =
        never
            ? proto::rcpt_reply(room.error(), address)
            : proto::make_reply(proto::kMailboxFullForNow.code, proto::kMailboxFullForNow.enhanced,
                                "<" + address + ">: Mailbox full, try again later");
    // Logged here with the reason rather than by reply().
    log::info("smtp refused [{}]: {} {} rcpt=<{}>: {}", peer_ip_, refusal.code, refusal.enhanced,
              address, room.error().describe());
    send(refusal);
    if (never) count_error();
    co_return;
  }
  recipients_.push_back({resolution->address, std::move(*resolution)});
  reply(250, "2.1.5", "Ok");
}

std::string Session::received_header(const std::string& id) const {
  // RFC 3848: ESMTP, then S for TLS, then A for a logged-in user.
  std::string with = esmtp_ ? "ESMTP" : "SMTP";
  if (conn_.secure()) with += "S";
  if (user_) with += "A";
  std::string h = "Received: ";
  // A submitting user's address tells where they are; hidden on request.
  if (!user_ || !ctx_.settings.policy.hide_client_ip) {
    h += "from " + (helo_.empty() ? std::string("unknown") : helo_) + " ([" + peer_ip_ + "])\r\n\t";
  }
  h += "by " + ctx_.settings.hostname + " (hostmail) with " + (smtputf8_ ? "UTF8" + with : with) +
       " id " + id;
  if (recipients_.size() == 1) h += "\r\n\tfor <" + recipients_[0].rcpt + ">";
  h += "; " + rfc5322_date() + "\r\n";
  return h;
}

std::string Session::begin_message() {
  // Unique across restarts and nodes: time, a per-process counter, the pid.
  message_id_ = std::to_string(std::time(nullptr)) + "." + std::to_string(getpid()) + "." +
                std::to_string(ctx_.next_id.fetch_add(1));
  std::string header = received_header(message_id_);
  received_size_ = header.size();
  return header;
}

bool Session::spill(std::string& buffer, std::unique_ptr<MessageSpool>& spool, bool at_end) {
  if (spool_failed_) {
    buffer.clear();
    return false;
  }
  const bool large = spool || buffer.size() >= ctx_.settings.spool_threshold;
  if (ctx_.settings.spool_dir.empty() || !large ||
      (!at_end && buffer.size() < ctx_.settings.spool_threshold)) {
    return true;
  }
  if (!spool) spool = std::make_unique<MessageSpool>(ctx_.settings.spool_dir);
  if (Status s = spool->append(buffer); !s) {
    log::error("smtp id={} from [{}]: {}", message_id_, peer_ip_, s.error().describe());
    spool_failed_ = true;
    spool.reset();
  }
  buffer.clear();
  return !spool_failed_;
}

asio::awaitable<void> Session::finish_message(std::string_view message, bool large) {
  // A logged-in user's message is checked and completed (RFC 6409 8);
  // nothing of this runs for port 25's inbound mail.
  std::string completed;
  if (user_) {
    if (!co_await complete_submission(message, completed)) {
      reset_transaction();
      co_return;
    }
    if (!completed.empty()) message = completed;
  }
  delivery::Envelope envelope{*sender_, std::move(recipients_)};
  conn_.arm(ctx_.settings.data_timeout);  // the fsyncs may take a while on a busy disk
  // A large message waits for its share of the delivery memory (its copies
  // are made in delivery); small ones are bounded by the session count.
  const size_t budget = large ? message.size() : 0;
  if (large) {
    co_await net::await_callback<bool>([this, budget](auto done) {
      ctx_.delivery_memory.acquire(budget, [done = std::move(done)]() mutable { done(true); });
    });
  }
  auto report = co_await net::await_callback<Result<delivery::DeliveryReport>>(
      [this, &envelope, &message](auto done) {
        asio::post(ctx_.delivery_pool,
                   [this, &envelope, &message, done = std::move(done)]() mutable {
                     done(ctx_.agent.deliver(envelope, message));
                   });
      });
  if (large) ctx_.delivery_memory.release(budget);
  const std::string& id = message_id_;
  if (report) {
    log::info("smtp accepted id={} from=<{}> rcpts={} size={} delivered={} queued={}", id,
              envelope.sender, envelope.recipients.size(), message.size(), report->delivered,
              report->queued);
    reply(250, "2.0.0", "Ok: queued as " + id);
  } else {
    log::error("smtp id={} not accepted: {}", id, report.error().describe());
    reply(451, "4.3.0", "Requested action aborted: local error in processing, try again later");
  }
  reset_transaction();
}

asio::awaitable<bool> Session::do_data() {
  if (chunking_) {
    reply(503, "5.5.1", "DATA cannot follow BDAT");
    count_error();
    co_return true;
  }
  if (!sender_) {
    reply(503, "5.5.1", "Need MAIL command first");
    count_error();
    co_return true;
  }
  if (recipients_.empty()) {
    reply(554, "5.5.1", "No valid recipients");
    count_error();
    co_return true;
  }
  reply(354, "", "End data with <CR><LF>.<CR><LF>");
  if (!co_await flush()) co_return false;
  // No line limit for content: long lines are delivered intact (see
  // data_decoder.h); the limit is for command lines.
  proto::DataDecoder decoder(ctx_.settings.max_message_size, 0);
  decoder.message() = begin_message();
  std::unique_ptr<MessageSpool> spool;  // past the threshold, the message is here
  net::Connection::Transfer transfer(transfer_limits());
  std::string& in = conn_.input();
  for (;;) {
    const size_t used = decoder.feed(in);
    in.erase(0, used);
    if (decoder.too_big()) spool.reset();  // nothing more is stored
    if (decoder.done()) break;
    if (!decoder.too_big()) spill(decoder.message(), spool, false);
    if (!co_await conn_.read_more(transfer)) {
      // Connection lost or timed out in DATA: nothing was acknowledged.
      reply(421, "4.4.2", ctx_.settings.hostname + " Timeout in DATA, closing connection");
      co_return false;
    }
  }
  if (decoder.too_big()) {
    reply(552, "5.3.4",
          "Message size exceeds fixed limit of " + std::to_string(ctx_.settings.max_message_size) +
              " octets");
    reset_transaction();
    co_return true;
  }
  spill(decoder.message(), spool, true);
  if (spool_failed_) {
    reply(452, "4.3.1", "Insufficient system storage, try again later");
    reset_transaction();
    co_return true;
  }
  if (!spool) {
    co_await finish_message(decoder.message(), false);
    co_return true;
  }
  std::string().swap(decoder.message());
  co_await finish_spooled(*spool);
  co_return true;
}

asio::awaitable<void> Session::finish_spooled(MessageSpool& spool) {
  auto mapped = spool.map();
  if (!mapped) {
    log::error("smtp id={} from [{}]: {}", message_id_, peer_ip_, mapped.error().describe());
    reply(451, "4.3.0", "Requested action aborted: local error in processing, try again later");
    reset_transaction();
    co_return;
  }
  co_await finish_message(*mapped, true);
}

asio::awaitable<bool> Session::do_bdat(const proto::Command& c) {
  // The chunk is read whatever the state, so the session stays in sync.
  unsigned long long want = c.chunk_size;
  const bool accepted = sender_ && !recipients_.empty();
  if (accepted && !chunking_) {
    chunks_ = begin_message();
    chunking_ = true;
  }
  bool keep = accepted && !chunks_failed_ && bdat_bytes_ + want <= ctx_.settings.max_message_size;
  if (accepted && !keep && !chunks_failed_) {
    chunks_failed_ = true;  // too large: drop what is stored
    std::string().swap(chunks_);
    bdat_spool_.reset();
  }
  net::Connection::Transfer transfer(transfer_limits());
  // BDAT data is taken as it is (no dot-stuffing); bare LFs and CRs become
  // CRLF as in DATA.
  const bool received = co_await conn_.read_counted(want, transfer, [&](std::string_view piece) {
    if (!keep) return;
    bdat_lines_.feed(piece, chunks_);
    spill(chunks_, bdat_spool_, false);
  });
  if (!received) co_return false;
  if (keep) bdat_bytes_ += c.chunk_size;
  if (!accepted) {
    reply(503, "5.5.1", sender_ ? "No valid recipients" : "Need MAIL command first");
    reset_transaction();
    count_error();
    co_return true;
  }
  if (!c.last_chunk) {
    if (chunks_failed_) {
      reply(552, "5.3.4", "Message size exceeds fixed limit");
    } else {
      reply(250, "2.0.0", "Ok: " + std::to_string(c.chunk_size) + " octets received");
    }
    co_return true;
  }
  if (chunks_failed_) {
    reply(552, "5.3.4",
          "Message size exceeds fixed limit of " + std::to_string(ctx_.settings.max_message_size) +
              " octets");
    reset_transaction();
    co_return true;
  }
  bdat_lines_.finish(chunks_);
  spill(chunks_, bdat_spool_, true);
  if (spool_failed_) {
    reply(452, "4.3.1", "Insufficient system storage, try again later");
    reset_transaction();
    co_return true;
  }
  if (!bdat_spool_) {
    std::string message = std::move(chunks_);
    co_await finish_message(message, false);
    co_return true;
  }
  std::unique_ptr<MessageSpool> spool = std::move(bdat_spool_);
  co_await finish_spooled(*spool);
  co_return true;
}

asio::awaitable<bool> Session::do_starttls() {
  if (!ctx_.starttls) {
    reply(454, "4.7.0", "TLS not available");
    co_return true;
  }
  if (conn_.secure()) {
    reply(503, "5.5.1", "TLS already active");
    count_error();
    co_return true;
  }
  reply(220, "2.0.0", "Ready to start TLS");
  if (!co_await flush()) co_return false;
  std::string error;
  if (!co_await conn_.start_tls(*ctx_.starttls, ctx_.settings.command_timeout, error)) {
    log::info("smtp TLS handshake with [{}] failed: {}", peer_ip_, error);
    co_return false;
  }
  // RFC 3207: forget everything learned before TLS.
  helo_.clear();
  esmtp_ = false;
  user_.reset();
  reset_transaction();
  co_return true;
}

}  // namespace hm::smtp
