#include "smtp/smtp_session.h"

#include <ctime>

#include "base/log.h"
#include "base/strings.h"
#include "smtp/proto/command_parser.h"
#include "smtp/proto/data_decoder.h"
#include "smtp/proto/error_status.h"

namespace hm::smtp {

using namespace asio::experimental::awaitable_operators;
using proto::Reply;
using proto::Verb;

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kTlsReadChunk = 16 * 1024;  // one TLS record at most

std::string rfc5322_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &tm);
  return buf;
}

// A recipient's error as the RCPT reply: the status from the one table
// (smtp/proto/error_status.h), which the queue's records and bounces share.
using proto::rcpt_reply;

}  // namespace

Session::Session(SessionContext& context, tcp::socket socket, std::string peer_ip,
                 std::function<void()> release_address)
    : ctx_(context),
      socket_(std::move(socket)),
      peer_ip_(std::move(peer_ip)),
      release_address_(std::move(release_address)),
      watchdog_(socket_.get_executor()) {
  // read_more() reads without blocking once the socket says it is readable.
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  arm(context.settings.command_timeout);
}

Session::~Session() { release_address(); }

void Session::release_address() {
  if (release_address_) std::exchange(release_address_, nullptr)();
}

void Session::arm(std::chrono::seconds timeout) {
  arm_at(std::chrono::steady_clock::now() + timeout);
}

void Session::arm_at(std::chrono::steady_clock::time_point deadline) {
  if (timed_out_) return;  // only the goodbye is left, on the watchdog's short leash
  const bool earlier = deadline < deadline_;
  deadline_ = deadline;
  // The watchdog sleeps until the deadline it last saw; one that moves
  // earlier (a command after a long DATA) must wake it, or it would be
  // enforced only when the old one passes. Once per message at most.
  if (earlier) watchdog_.cancel();
}

void Session::arm_data(std::chrono::steady_clock::time_point start, uint64_t received) {
  // A minimum average rate rather than a silence limit restarted by every
  // read (which one byte every few seconds defeats): the phase may take
  // data_timeout plus one second per data_min_rate bytes received, and no
  // read may take longer than data_timeout.
  const auto now = std::chrono::steady_clock::now();
  const auto earned = std::chrono::microseconds(received * 1'000'000 / ctx_.settings.data_min_rate);
  arm_at(std::min(start + ctx_.settings.data_timeout +
                      std::chrono::duration_cast<std::chrono::steady_clock::duration>(earned),
                  now + ctx_.settings.data_timeout));
}

asio::awaitable<void> Session::watch() {
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
    boost::system::error_code ignored;
    if (timed_out_) {
      // The goodbye ran out too, or the conversation is stuck: ending here
      // ends run() (`||` then cancels the conversation), so no session can
      // outlive its deadlines.
      socket_.close(ignored);
      co_return;
    }
    timed_out_ = true;
    socket_.cancel(ignored);
    deadline_ = std::chrono::steady_clock::now() + kGoodbye;
  }
}

void Session::reply(const Reply& r) {
  // Every refusal is logged, so an administrator can see why a sender's
  // mail did not arrive; replies of 2xx and 3xx are not.
  if (r.code >= 400 && !r.lines.empty()) {
    log::info("smtp refused [{}]: {} {} {}", peer_ip_, r.code, r.enhanced, r.lines.front());
  }
  send(r);
}

void Session::send(const Reply& r) { out_ += proto::format(r, true); }

void Session::reply(int code, std::string_view enhanced, std::string_view text) {
  reply(proto::make_reply(code, enhanced, text));
}

asio::awaitable<bool> Session::flush() {
  if (out_.empty()) co_return true;
  boost::system::error_code ec;
  arm(ctx_.settings.command_timeout);
  if (tls_) {
    std::tie(ec, std::ignore) = co_await asio::async_write(*tls_stream_, asio::buffer(out_),
                                                           asio::as_tuple(asio::use_awaitable));
  } else {
    std::tie(ec, std::ignore) = co_await asio::async_write(socket_, asio::buffer(out_),
                                                           asio::as_tuple(asio::use_awaitable));
  }
  out_.clear();
  co_return !ec && !timed_out_;
}

asio::awaitable<bool> Session::read_more() {
  boost::system::error_code ec;
  size_t n = 0;
  if (tls_) {
    tls_buffer_.resize(kTlsReadChunk);
    std::tie(ec, n) = co_await tls_stream_->async_read_some(asio::buffer(tls_buffer_),
                                                            asio::as_tuple(asio::use_awaitable));
    if (ec || timed_out_) co_return false;
    in_.append(tls_buffer_.data(), n);
    co_return true;
  }
  // Plain TCP: wait until readable, then read into this thread's buffer and
  // copy out at once. Sessions on one thread never interleave between the
  // read and the copy, so one buffer per thread serves them all; a buffer in
  // the coroutine frame would be allocated and freed with every read.
  thread_local std::vector<char> buffer(kReadChunk);
  for (;;) {
    n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec != asio::error::would_block) break;
    std::tie(ec) =
        co_await socket_.async_wait(tcp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
    if (ec || timed_out_) co_return false;
  }
  if (ec || timed_out_) co_return false;
  in_.append(buffer.data(), n);
  co_return true;
}

asio::awaitable<Session::Read> Session::read_line(std::string& line) {
  const size_t limit = ctx_.settings.line_length;
  bool too_long = false;
  bool armed = false;
  for (;;) {
    size_t lf = in_.find('\n');
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
    if (!co_await flush()) co_return Read::kClosed;
    // The whole command must arrive within the timeout, counted from when
    // the server starts waiting for it: arming at every read would let a
    // client that sends a byte every few seconds stay for ever.
    if (!armed) {
      arm(ctx_.settings.command_timeout);
      armed = true;
    }
    if (!co_await read_more()) {
      co_return timed_out_ ? Read::kTimeout : Read::kClosed;
    }
  }
}

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
  // `||` ends the watchdog (cancels its wait) when the conversation ends; the
  // watchdog never ends on its own.
  co_await (converse() || watch());
}

asio::awaitable<void> Session::converse() {
  log::info("smtp connect from [{}]", peer_ip_);
  reply(220, "", ctx_.settings.hostname + " ESMTP hostmail");
  while (!closing_) {
    std::string line;
    Read r = co_await read_line(line);
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
  boost::system::error_code ignored;
  socket_.close(ignored);  // sends the FIN; a shutdown() first would only add a system call
  log::info("smtp disconnect from [{}]", peer_ip_);
}

asio::awaitable<bool> Session::handle(const proto::Command& c) {
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
      release_address();
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
    case Verb::kAuth:
      reply(503, "5.5.1", "AUTH is not offered on this port; use the submission port");
      count_error();
      co_return true;
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
  if (ctx_.tls_enabled && !tls_) r.lines.emplace_back("STARTTLS");
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
  sender_ = c.path;
  smtputf8_ = c.param("SMTPUTF8") != nullptr;
  reply(250, "2.1.0", "Ok");
}

asio::awaitable<void> Session::do_rcpt(const proto::Command& c) {
  if (!sender_) {
    reply(503, "5.5.1", "Need MAIL command first");
    count_error();
    co_return;
  }
  if (recipients_.size() >= ctx_.settings.max_recipients) {
    reply(452, "4.5.3", "Too many recipients");
    co_return;
  }
  const std::string address = c.path;
  Result<directory::Resolution> resolution;
  if (ctx_.directory.resolves_inline()) {
    resolution = ctx_.directory.resolve_now(address);
  } else {
    // The lambda captures only pointers: g++ 12 destroys non-trivial
    // temporaries of a co_await expression twice.
    const std::string* wanted = &address;
    resolution = co_await net::await_callback<Result<directory::Resolution>>(
        [this, wanted](auto done) { ctx_.directory.resolve(*wanted, std::move(done)); });
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
    // Never an open relay: only authenticated submission (a later port) relays.
    reply(554, "5.7.1", "<" + address + ">: Relay access denied");
    count_error();
    co_return;
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
    // Larger than the whole quota, it can never fit; else it may later.
    const bool never = room.error().kind() == ErrorKind::kLimit;
    const Reply refusal =
        never ? proto::make_reply(552, "5.2.2",
                                  "<" + address + ">: Message is larger than the mailbox's quota")
              : proto::make_reply(452, "4.2.2", "<" + address + ">: Mailbox full, try again later");
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
  std::string with = esmtp_ ? "ESMTP" : "SMTP";
  if (tls_) with += "S";
  std::string h = "Received: from " + (helo_.empty() ? std::string("unknown") : helo_) + " ([" +
                  peer_ip_ + "])\r\n\tby " + ctx_.settings.hostname + " (hostmail) with " +
                  (smtputf8_ ? "UTF8" + with : with) + " id " + id;
  if (recipients_.size() == 1) h += "\r\n\tfor <" + recipients_[0].rcpt + ">";
  h += "; " + rfc5322_date() + "\r\n";
  return h;
}

std::string Session::begin_message() {
  // Unique across restarts and nodes: time, a per-process counter, the pid.
  message_id_ = std::to_string(std::time(nullptr)) + "." + std::to_string(getpid()) + "." +
                std::to_string(ctx_.next_id.fetch_add(1));
  return received_header(message_id_);
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
  delivery::Envelope envelope{*sender_, std::move(recipients_)};
  arm(ctx_.settings.data_timeout);  // the fsyncs may take a while on a busy disk
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
  const auto start = std::chrono::steady_clock::now();
  uint64_t received = 0;
  for (;;) {
    size_t used = decoder.feed(in_);
    in_.erase(0, used);
    if (decoder.too_big()) spool.reset();  // nothing more is stored
    if (decoder.done()) break;
    if (!decoder.too_big()) spill(decoder.message(), spool, false);
    arm_data(start, received);
    const size_t before = in_.size();
    const bool more = co_await read_more();
    received += in_.size() - before;
    if (!more) {
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
  const auto start = std::chrono::steady_clock::now();
  uint64_t received = 0;
  while (want > 0) {
    if (in_.empty()) {
      arm_data(start, received);
      if (!co_await read_more()) co_return false;
      received += in_.size();
    }
    size_t take = static_cast<size_t>(std::min<unsigned long long>(want, in_.size()));
    if (keep) {
      // BDAT data is taken as it is (no dot-stuffing); bare LFs and CRs
      // become CRLF as in DATA.
      bdat_lines_.feed(std::string_view(in_).substr(0, take), chunks_);
      spill(chunks_, bdat_spool_, false);
    }
    in_.erase(0, take);
    want -= take;
  }
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
  if (!ctx_.tls_enabled) {
    reply(454, "4.7.0", "TLS not available");
    co_return true;
  }
  if (tls_) {
    reply(503, "5.5.1", "TLS already active");
    count_error();
    co_return true;
  }
  reply(220, "2.0.0", "Ready to start TLS");
  if (!co_await flush()) co_return false;
  // Anything the client pipelined after STARTTLS was sent in clear text and
  // must not be taken as if it came through TLS (CVE-2011-0411).
  in_.clear();
  arm(ctx_.settings.command_timeout);
  tls_stream_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, ctx_.tls_context);
  auto [ec] = co_await tls_stream_->async_handshake(asio::ssl::stream_base::server,
                                                    asio::as_tuple(asio::use_awaitable));
  if (ec) {
    log::info("smtp TLS handshake with [{}] failed: {}", peer_ip_, ec.message());
    co_return false;
  }
  tls_ = true;
  // RFC 3207: forget everything learned before TLS.
  helo_.clear();
  esmtp_ = false;
  reset_transaction();
  co_return true;
}

}  // namespace hm::smtp
