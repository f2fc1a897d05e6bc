#include "pop3/session.h"

#include "base/log.h"

namespace hm::pop3 {

Session::Session(SessionContext& context, net::Connection& connection)
    : ctx_(context), conn_(connection), peer_ip_(connection.peer_ip()) {}

// The mailbox objects are closed on a worker by run(); this is the last
// resort when the session ends without its loop.
Session::~Session() = default;

// ---- output

void Session::ok(std::string_view text) {
  std::string line = "+OK";
  if (!text.empty()) line += ' ';
  line += text;
  line += "\r\n";
  conn_.write(line);
}

void Session::err(std::string_view code, std::string_view text, bool counted) {
  std::string line = "-ERR ";
  if (!code.empty()) {
    line += '[';
    line += code;
    line += "] ";
  }
  line += text;
  line += "\r\n";
  conn_.write(line);
  if (counted) count_error();
}

bool Session::count_error() {
  if (++errors_ < ctx_.settings.errors_per_session) return true;
  conn_.write("-ERR Too many errors, closing connection\r\n");
  closing_ = true;
  return false;
}

bool Session::login_allowed() const {
  return mail_access::login_allowed(ctx_.settings.plaintext_login, conn_.secure(), peer_ip_);
}

asio::awaitable<bool> Session::flush() { return conn_.flush(ctx_.settings.command_timeout); }

asio::awaitable<std::optional<std::string>> Session::read_line() {
  for (;;) {
    std::string line;
    const auto got =
        co_await conn_.read_line(line, ctx_.settings.line_length, ctx_.settings.command_timeout);
    switch (got) {
      case net::Connection::Read::kLine: co_return line;
      case net::Connection::Read::kTooLong:
        err("", "Line too long (at most " + std::to_string(ctx_.settings.line_length) +
                    " octets); nothing of it was done");
        if (closing_) co_return std::nullopt;
        continue;
      case net::Connection::Read::kTimeout:
        // RFC 1939 3: the autologout timer; nothing marked is deleted.
        conn_.write("-ERR Idle for too long, closing connection; nothing was deleted\r\n");
        closing_ = true;
        co_return std::nullopt;
      case net::Connection::Read::kClosed: closing_ = true; co_return std::nullopt;
    }
  }
}

// ---- the conversation

asio::awaitable<void> Session::run() {
  log::info("pop3 connect from [{}]", peer_ip_);
  ok(ctx_.settings.hostname + " POP3 hostmail ready");
  while (!closing_ && state_ != State::kDone) {
    auto line = co_await read_line();
    if (!line) break;
    auto parsed = parse_command(*line);
    if (auto* e = std::get_if<ParseError>(&parsed)) {
      err("", e->text);
      continue;
    }
    co_await handle(std::get<Command>(parsed));
  }
  co_await flush();
  conn_.close();
  if (drop_ || boxes_) {
    // Closing may write the index: on a worker, as every store call.
    co_await blocking([this] {
      drop_.reset();
      boxes_.reset();
      return true;
    });
  }
  log::info("pop3 disconnect from [{}]{}", peer_ip_,
            state_ == State::kAuthorization ? "" : " user=" + user_);
}

asio::awaitable<void> Session::handle(Command& c) {
  const bool transaction = state_ == State::kTransaction;
  switch (c.verb) {
    case Verb::kCapa: do_capa(); co_return;
    case Verb::kQuit: co_await do_quit(); co_return;
    case Verb::kUser:
    case Verb::kPass:
    case Verb::kAuth:
    case Verb::kStls:
    case Verb::kApop:
      if (transaction) {
        err("", "Already logged in");
        co_return;
      }
      break;
    default:
      if (!transaction) {
        err("", "Log in first (USER and PASS, or AUTH)");
        co_return;
      }
      break;
  }
  switch (c.verb) {
    case Verb::kUser: do_user(c); break;
    case Verb::kPass: co_await do_pass(c); break;
    case Verb::kAuth: co_await do_auth(c); break;
    case Verb::kStls: co_await do_stls(); break;
    case Verb::kApop: err("", "APOP is not offered; use USER and PASS, or AUTH"); break;
    case Verb::kStat: do_stat(); break;
    case Verb::kList: do_list(c); break;
    case Verb::kUidl: do_uidl(c); break;
    case Verb::kRetr: co_await do_retr(c, false); break;
    case Verb::kTop: co_await do_retr(c, true); break;
    case Verb::kDele: do_dele(c); break;
    case Verb::kRset: do_rset(); break;
    case Verb::kNoop: ok(""); break;
    case Verb::kCapa:
    case Verb::kQuit: break;
  }
}

void Session::do_capa() {
  // RFC 2449 5; what a client may do now.
  std::string out =
      "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
      "AUTH-RESP-CODE\r\nPIPELINING\r\n";
  if (state_ == State::kAuthorization) {
    if (login_allowed()) out += "USER\r\nSASL PLAIN LOGIN\r\n";
    if (ctx_.starttls != nullptr && !conn_.secure()) out += "STLS\r\n";
  }
  out += "IMPLEMENTATION hostmail\r\n.\r\n";
  conn_.write(out);
}

asio::awaitable<void> Session::do_stls() {
  if (!ctx_.starttls) {
    err("", "STLS is not available (no certificate configured)");
    co_return;
  }
  if (conn_.secure()) {
    err("", "TLS is already active");
    co_return;
  }
  ok("Begin TLS negotiation now");
  if (!co_await flush()) {
    closing_ = true;
    co_return;
  }
  std::string error;
  if (!co_await conn_.start_tls(*ctx_.starttls, ctx_.settings.command_timeout, error)) {
    log::info("pop3 TLS handshake with [{}] failed: {}", peer_ip_, error);
    closing_ = true;
    co_return;
  }
  // What was said before (USER) is forgotten (RFC 2595 4); lines sent in
  // clear text after STLS were dropped by the connection.
  user_.clear();
  user_given_ = false;
}

asio::awaitable<void> Session::do_quit() {
  if (state_ != State::kTransaction) {
    ok(ctx_.settings.hostname + " POP3 server signing off");
    state_ = State::kDone;
    conn_.release_address();
    co_return;
  }
  // RFC 1939 6: the UPDATE state.
  auto removed = co_await blocking([this] { return drop_->commit(); });
  state_ = State::kDone;
  if (!removed) {
    log::warning("pop3 {} [{}] QUIT: deleted messages not removed: {}", user_, peer_ip_,
                 removed.error().describe());
    err("SYS/TEMP", "Some deleted messages were not removed; try again later", false);
  } else {
    log::info("pop3 {} [{}] QUIT: {} messages removed", user_, peer_ip_, *removed);
    ok(ctx_.settings.hostname + " POP3 server signing off (" + std::to_string(*removed) +
       " messages deleted)");
  }
  conn_.release_address();
}

}  // namespace hm::pop3
