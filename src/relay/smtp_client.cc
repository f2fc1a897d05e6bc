#include "relay/smtp_client.h"

#include <fmt/format.h>

#include <algorithm>

// g++ 12 warns that Asio's coroutine frames are freed with a mismatched
// operator delete in large coroutines (GCC bug 109224, a false positive:
// the frame's own operator new and delete are a pair).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// HM_TRY for coroutines: co_return the error of a failed Status.
#define HM_CO_TRY(expr)                                                      \
  do {                                                                       \
    auto hm_co_try_result_ = expr;                                           \
    if (!hm_co_try_result_) co_return ::hm::fail(hm_co_try_result_.error()); \
  } while (0)

namespace hm::relay {
namespace {

using namespace asio::experimental::awaitable_operators;

// Writes of the message body go out in blocks of about this size: few
// system calls, bounded memory.
constexpr size_t kDataBlock = 64 * 1024;

Reply local_reply(int code, std::string text) {
  Reply r;
  r.code = code;
  r.lines.push_back(std::move(text));
  return r;
}

// An address as the queue holds it goes into MAIL/RCPT as is; one that
// could break the command line never does.
bool safe_address(std::string_view address) {
  return address.find_first_of("\r\n<>") == std::string_view::npos && address.size() <= 1000;
}

std::vector<RecipientResult> for_all(size_t n, Reply reply, bool local) {
  return std::vector<RecipientResult>(n, RecipientResult{std::move(reply), local});
}

}  // namespace

// Ends a wait on the stream when its time is up. Shared with the timer's
// handler, which may run after the wait (or the client) is gone.
struct SmtpClient::Watchdog {
  net::Stream* stream = nullptr;
  uint64_t armed = 0;  // the wait being timed; 0: none
  bool fired = false;
};

SmtpClient::SmtpClient(std::unique_ptr<net::Stream> stream, ClientOptions options)
    : stream_(std::move(stream)),
      options_(std::move(options)),
      watchdog_(std::make_shared<Watchdog>()) {
  watchdog_->stream = stream_.get();
}

SmtpClient::~SmtpClient() {
  watchdog_->armed = 0;
  watchdog_->stream = nullptr;
}

Error SmtpClient::broken(Error error) {
  usable_ = false;
  stream_->close();
  return error;
}

void SmtpClient::arm(asio::steady_timer& timer, std::chrono::milliseconds timeout) {
  static uint64_t next_wait = 0;
  const uint64_t wait = ++next_wait;
  watchdog_->armed = wait;
  watchdog_->fired = false;
  timer.expires_after(timeout);
  timer.async_wait([watchdog = watchdog_, wait](const boost::system::error_code& error) {
    if (error || watchdog->armed != wait || watchdog->stream == nullptr) return;
    watchdog->fired = true;
    watchdog->stream->cancel();
  });
}

void SmtpClient::disarm(asio::steady_timer& timer) {
  watchdog_->armed = 0;
  timer.cancel();
}

asio::awaitable<Result<Reply>> SmtpClient::read_reply(std::chrono::milliseconds timeout,
                                                      std::string_view after) {
  if (auto reply = take_reply(buffer_)) {
    if (!*reply) co_return fail(broken(reply->error()));
    co_return std::move(**reply);
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  arm(timer, timeout);
  std::optional<Result<Reply>> reply;
  while (!(reply = take_reply(buffer_))) {
    const bool more = co_await stream_->read_some(buffer_);
    if (!more) break;
  }
  disarm(timer);
  if (!reply) {
    co_return fail(broken(
        Error(ErrorKind::kTemporary,
              watchdog_->fired
                  ? fmt::format("4.4.2 timeout after {}: the server did not answer in {} s", after,
                                std::chrono::duration_cast<std::chrono::seconds>(timeout).count())
                  : fmt::format("4.4.2 the connection was lost after {}", after))));
  }
  if (!*reply) co_return fail(broken(reply->error()));
  co_return std::move(**reply);
}

asio::awaitable<Status> SmtpClient::write(std::string_view data) {
  // The result in a variable, not in the condition: g++ 12 destroys
  // temporaries of the branch not taken when a co_await is the condition.
  const bool written = co_await stream_->write(data);
  if (written) co_return ok();
  co_return fail(
      broken(Error(ErrorKind::kTemporary, "4.4.2 the connection was lost while sending")));
}

asio::awaitable<Status> SmtpClient::reset() {
  HM_CO_TRY(co_await write("RSET\r\n"));
  Result<Reply> reply = co_await read_reply(options_.timeouts.command, "RSET");
  if (!reply) co_return fail(reply.error());
  co_return ok();
}

asio::awaitable<Status> SmtpClient::open() {
  Result<Reply> greeting = co_await read_reply(options_.timeouts.greeting, "connecting");
  if (!greeting) co_return fail(greeting.error());
  if (!greeting->positive()) {
    co_return fail(broken(Error(greeting->temporary() ? ErrorKind::kTemporary : ErrorKind::kInvalid,
                                greeting->text())));
  }
  // (Commands are made before the co_await: g++ 12 mishandles temporaries
  // with destructors inside a co_await expression.)
  const std::string ehlo_command = fmt::format("EHLO {}\r\n", options_.helo_name);
  HM_CO_TRY(co_await write(ehlo_command));
  Result<Reply> ehlo = co_await read_reply(options_.timeouts.command, "EHLO");
  if (!ehlo) co_return fail(ehlo.error());
  if (ehlo->code == 250) {
    capabilities_ = parse_ehlo(*ehlo);
  } else {
    // An old server: HELO, and none of the extensions.
    Result<Reply> helo = co_await greet("HELO");
    if (!helo) co_return fail(helo.error());
    capabilities_ = Capabilities{};
  }
  HM_CO_TRY(co_await start_tls());
  usable_ = true;
  co_return ok();
}

asio::awaitable<Result<Reply>> SmtpClient::greet(std::string_view verb) {
  // (Made before the co_await: see open().)
  const std::string command = fmt::format("{} {}\r\n", verb, options_.helo_name);
  HM_CO_TRY(co_await write(command));
  Result<Reply> reply = co_await read_reply(options_.timeouts.command, verb);
  if (!reply) co_return fail(reply.error());
  if (reply->code != 250) {
    co_return fail(broken(
        Error(reply->temporary() ? ErrorKind::kTemporary : ErrorKind::kInvalid, reply->text())));
  }
  co_return std::move(*reply);
}

asio::awaitable<Status> SmtpClient::start_tls() {
  const TlsLevel level = options_.tls_context != nullptr ? options_.tls : TlsLevel::kNone;
  const bool required = level == TlsLevel::kEncrypt || level == TlsLevel::kVerify;
  if (level == TlsLevel::kNone) co_return ok();
  if (!capabilities_.starttls) {
    if (!required) co_return ok();
    co_return fail(broken(Error(ErrorKind::kTemporary,
                                "4.7.4 TLS is required for this destination, and the server does "
                                "not offer STARTTLS")));
  }
  HM_CO_TRY(co_await write("STARTTLS\r\n"));
  Result<Reply> ready = co_await read_reply(options_.timeouts.command, "STARTTLS");
  if (!ready) co_return fail(ready.error());
  if (ready->code != 220) {
    if (!required) co_return ok();  // opportunistic: go on in clear
    co_return fail(broken(Error(ErrorKind::kTemporary,
                                "4.7.4 TLS is required for this destination, and the server "
                                "refused STARTTLS: " +
                                    ready->text())));
  }
  // Bytes the server sent after its 220 were not protected: a server that
  // pipelines them is broken or attacked (the STARTTLS command injection of
  // CVE-2011-0411's kind).
  if (!buffer_.empty()) {
    co_return fail(broken(
        Error(ErrorKind::kTemporary, "4.7.0 the server sent data after its STARTTLS reply")));
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  arm(timer, options_.timeouts.command);
  std::string error;
  const bool secured = co_await stream_->start_tls_client(
      *options_.tls_context, options_.server_name, level == TlsLevel::kVerify, error);
  disarm(timer);
  if (!secured) {
    co_return fail(broken(
        Error(ErrorKind::kTemporary, fmt::format("4.7.5 TLS with the server failed: {}", error))));
  }
  // RFC 3207 4.2: forget what was learnt in clear, and ask again.
  Result<Reply> ehlo = co_await greet("EHLO");
  if (!ehlo) co_return fail(ehlo.error());
  capabilities_ = parse_ehlo(*ehlo);
  co_return ok();
}

asio::awaitable<Status> SmtpClient::write_data(const OutgoingMessage& message) {
  std::string block;
  block.reserve(kDataBlock + 1024);
  bool line_start = true;
  for (std::string_view part : {message.prefix, message.text}) {
    size_t pos = 0;
    while (pos < part.size()) {
      // Dot-stuffing (RFC 5321 4.5.2): a line that starts with "." gets one more.
      if (line_start && part[pos] == '.') block += '.';
      size_t newline = part.find('\n', pos);
      size_t end = newline == std::string_view::npos ? part.size() : newline + 1;
      size_t take = std::min(end - pos, kDataBlock);
      block.append(part.substr(pos, take));
      pos += take;
      line_start = pos == end && newline != std::string_view::npos;
      if (block.size() >= kDataBlock) {
        HM_CO_TRY(co_await write(block));
        block.clear();
      }
    }
  }
  if (!line_start) block += "\r\n";
  block += ".\r\n";
  co_return co_await write(block);
}

asio::awaitable<Result<std::vector<RecipientResult>>> SmtpClient::send(
    const OutgoingMessage& message) {
  const size_t n = message.recipients.size();
  if (!usable_) co_return fail(ErrorKind::kTemporary, "4.4.2 the connection is not usable");
  const uint64_t size = message.prefix.size() + message.text.size();
  const Capabilities& caps = capabilities_;
  // What the server cannot take is not offered to it (the queue bounces).
  if (caps.size && caps.max_size != 0 && size > caps.max_size) {
    co_return for_all(
        n,
        local_reply(552, fmt::format("5.3.4 the message ({} bytes) is larger than the "
                                     "receiving server accepts ({} bytes)",
                                     size, caps.max_size)),
        true);
  }
  if (message.utf8 && !caps.smtputf8) {
    co_return for_all(n,
                      local_reply(553,
                                  "5.6.7 the receiving server does not accept UTF-8 addresses "
                                  "or headers (no SMTPUTF8)"),
                      true);
  }
  if (message.eight_bit && !caps.eight_bit_mime && !caps.smtputf8) {
    co_return for_all(n,
                      local_reply(554,
                                  "5.6.3 the receiving server does not accept 8-bit data "
                                  "(no 8BITMIME), and hostmail does not convert it"),
                      true);
  }
  if (!safe_address(message.sender) ||
      !std::all_of(message.recipients.begin(), message.recipients.end(), safe_address)) {
    co_return fail(ErrorKind::kInvalid, "5.1.3 an address of the envelope cannot be sent");
  }

  std::string mail = fmt::format("MAIL FROM:<{}>", message.sender);
  if (caps.size) mail += fmt::format(" SIZE={}", size);
  if (message.eight_bit && caps.eight_bit_mime) mail += " BODY=8BITMIME";
  if (message.utf8) mail += " SMTPUTF8";
  mail += "\r\n";
  std::vector<std::string> rcpts;
  for (const std::string& r : message.recipients)
    rcpts.push_back(fmt::format("RCPT TO:<{}>\r\n", r));

  const ClientTimeouts& t = options_.timeouts;
  std::vector<RecipientResult> results(n);
  size_t accepted = 0;
  Reply mail_reply;
  if (caps.pipelining) {
    // RFC 2920: the whole envelope and DATA in one write, replies in order.
    std::string batch = mail;
    for (const std::string& r : rcpts) batch += r;
    batch += "DATA\r\n";
    HM_CO_TRY(co_await write(batch));
    Result<Reply> m = co_await read_reply(t.command, "MAIL FROM");
    if (!m) co_return fail(m.error());
    mail_reply = std::move(*m);
    for (size_t i = 0; i < n; ++i) {
      Result<Reply> r = co_await read_reply(t.command, "RCPT TO");
      if (!r) co_return fail(r.error());
      if (mail_reply.positive() && r->positive()) ++accepted;
      results[i].reply = mail_reply.positive() ? std::move(*r) : mail_reply;
    }
    Result<Reply> d = co_await read_reply(t.data_init, "DATA");
    if (!d) co_return fail(d.error());
    if (d->code == 354) {
      if (accepted == 0) {
        // A server that says 354 with no recipient: an empty message, ignored.
        HM_CO_TRY(co_await write(".\r\n"));
        Result<Reply> end = co_await read_reply(t.data_end, "the end of the data");
        if (!end) co_return fail(end.error());
        co_return results;
      }
    } else {
      for (RecipientResult& r : results) {
        if (r.reply.positive()) r.reply = *d;
      }
      if (mail_reply.positive()) {
        HM_CO_TRY(co_await reset());
      }
      co_return results;
    }
  } else {
    HM_CO_TRY(co_await write(mail));
    Result<Reply> m = co_await read_reply(t.command, "MAIL FROM");
    if (!m) co_return fail(m.error());
    if (!m->positive()) {
      HM_CO_TRY(co_await reset());
      co_return for_all(n, *m, false);
    }
    for (size_t i = 0; i < n; ++i) {
      HM_CO_TRY(co_await write(rcpts[i]));
      Result<Reply> r = co_await read_reply(t.command, "RCPT TO");
      if (!r) co_return fail(r.error());
      if (r->positive()) ++accepted;
      results[i].reply = std::move(*r);
    }
    Reply d;
    if (accepted > 0) {
      HM_CO_TRY(co_await write("DATA\r\n"));
      Result<Reply> data = co_await read_reply(t.data_init, "DATA");
      if (!data) co_return fail(data.error());
      d = std::move(*data);
    }
    if (accepted == 0 || d.code != 354) {
      for (RecipientResult& r : results) {
        if (r.reply.positive()) r.reply = d;
      }
      HM_CO_TRY(co_await reset());
      co_return results;
    }
  }
  // 354: the data, then one reply for all accepted recipients.
  HM_CO_TRY(co_await write_data(message));
  Result<Reply> end = co_await read_reply(t.data_end, "the end of the data");
  if (!end) co_return fail(end.error());
  for (RecipientResult& r : results) {
    if (r.reply.positive()) r.reply = *end;
  }
  co_return results;
}

asio::awaitable<void> SmtpClient::quit() {
  if (usable_) {
    const bool written = co_await stream_->write("QUIT\r\n");
    if (written) (void)co_await read_reply(std::chrono::seconds(10), "QUIT");
  }
  usable_ = false;
  stream_->close();
}

asio::awaitable<Result<std::unique_ptr<net::Stream>>> connect_tcp(
    const std::string& address, uint16_t port, std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  boost::system::error_code parse_error;
  asio::ip::address ip = asio::ip::make_address(address, parse_error);
  if (parse_error)
    co_return fail(ErrorKind::kInvalid, fmt::format("{} is not an IP address", address));
  net::tcp::socket socket(executor);
  asio::steady_timer timer(executor, timeout);
  auto outcome = co_await (
      socket.async_connect(net::tcp::endpoint(ip, port), asio::as_tuple(asio::use_awaitable)) ||
      timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (outcome.index() == 1) {
    co_return fail(
        ErrorKind::kTemporary,
        fmt::format("4.4.1 no answer from {} port {} (connection timed out)", address, port));
  }
  auto [error] = std::get<0>(outcome);
  if (error) {
    co_return fail(ErrorKind::kTemporary, fmt::format("4.4.1 cannot connect to {} port {}: {}",
                                                      address, port, error.message()));
  }
  co_return net::make_tcp_stream(std::move(socket));
}

}  // namespace hm::relay
