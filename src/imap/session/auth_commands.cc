// LOGIN and AUTHENTICATE (RFC 3501 6.2; SASL PLAIN RFC 4616, LOGIN, and
// SASL-IR RFC 4959), through the directory's Authenticator on its workers
// (the account's IMAP switch, the throttles and the cache of proven logins
// are its business), then the account's mail opened on the store's pool.

#include "base/base64.h"
#include "base/log.h"
#include "imap/session/session.h"

namespace hm::imap {

using proto::Status;

asio::awaitable<void> Session::do_login(const proto::Command& c) {
  if (!login_allowed()) {
    // RFC 3501 6.2.3 and LOGINDISABLED in the capabilities.
    no(c, "PRIVACYREQUIRED", "Use STARTTLS (or the imaps port) before logging in");
    count_error();
    co_return;
  }
  const auto& args = std::get<proto::LoginArgs>(c.args);
  co_await log_in(c, args.user, args.password);
}

asio::awaitable<void> Session::do_authenticate(const proto::Command& c) {
  const auto& args = std::get<proto::AuthenticateArgs>(c.args);
  if (!login_allowed()) {
    no(c, "PRIVACYREQUIRED", "Use STARTTLS (or the imaps port) before authenticating");
    count_error();
    co_return;
  }
  if (args.mechanism != "PLAIN" && args.mechanism != "LOGIN") {
    no(c, "CANNOT", "Unsupported mechanism; this server offers PLAIN and LOGIN");
    count_error();
    co_return;
  }
  // One client response: the initial one (SASL-IR) or after "+ <challenge>".
  // Empty optional: the client cancelled ("*") or left.
  std::optional<std::string> initial = args.initial_response;
  bool malformed = false;
  auto response = [this, &initial, &malformed](
                      std::string_view challenge) -> asio::awaitable<std::optional<std::string>> {
    std::string text;
    if (initial) {
      text = *std::exchange(initial, std::nullopt);
      if (text == "=") co_return std::string();  // an empty initial response
    } else {
      // An empty challenge is "+ " and nothing else (RFC 3501 7.5).
      conn_.write(challenge.empty() ? std::string("+ \r\n")
                                    : proto::format_continuation(base64_encode(challenge)));
      net::Connection::Transfer transfer = new_transfer();
      Input in = co_await read_input(/*plain=*/true, transfer);
      if (in.kind != Input::Kind::kLine) {
        closing_ = true;
        co_return std::nullopt;
      }
      text = std::move(in.line);
    }
    if (text == "*") co_return std::nullopt;
    auto decoded = base64_decode(text);
    if (!decoded) malformed = true;
    co_return decoded;
  };
  // Why there is no response: already answered (closing), bad base64, or
  // the client's "*".
  auto refuse = [this, &c, &malformed] {
    if (closing_) return;
    bad(c, malformed ? "Invalid base64 in the response" : "Authentication cancelled");
  };
  std::string login, password;
  if (args.mechanism == "PLAIN") {
    auto r = co_await response("");
    if (!r) {
      refuse();
      co_return;
    }
    // authzid NUL authcid NUL passwd; acting for someone else is not offered.
    const size_t a = r->find('\0');
    const size_t b = a == std::string::npos ? a : r->find('\0', a + 1);
    if (b == std::string::npos) {
      bad(c, "Malformed PLAIN response (authzid NUL authcid NUL password, in base64)");
      co_return;
    }
    const std::string authzid = r->substr(0, a);
    login = r->substr(a + 1, b - a - 1);
    password = r->substr(b + 1);
    if (!authzid.empty() && authzid != login) {
      no(c, "AUTHORIZATIONFAILED", "Logging in as another user is not allowed");
      count_error();
      co_return;
    }
  } else {
    auto user = co_await response("Username:");
    if (!user) {
      refuse();
      co_return;
    }
    auto pass = co_await response("Password:");
    if (!pass) {
      refuse();
      co_return;
    }
    login = std::move(*user);
    password = std::move(*pass);
  }
  co_await log_in(c, std::move(login), std::move(password));
}

asio::awaitable<void> Session::log_in(const proto::Command& c, std::string login,
                                      std::string password) {
  auto principal = co_await net::await_callback<Result<directory::Principal>>(
      [this, &login, &password](auto done) {
        ctx_.directory.authenticate(login, password, directory::Service::kImap, std::move(done),
                                    peer_ip_);
      });
  if (!principal) {
    const Error& e = principal.error();
    log::info("imap login failed [{}] {}: {}", peer_ip_, login, e.describe());
    if (e.kind() == ErrorKind::kAuthFailed) {
      no(c, "AUTHENTICATIONFAILED", "Authentication failed");
      count_error();
    } else if (e.kind() == ErrorKind::kTemporary) {
      // A directory outage, or too many failures (the throttle's text says
      // when to try again).
      no(c, "UNAVAILABLE", e.message());
    } else {
      no(c, "UNAVAILABLE", "Authentication is not available now; try again later");
    }
    co_return;
  }
  auto boxes = co_await blocking([this, &principal] { return ctx_.open_account(*principal); });
  if (!boxes) {
    const Error& e = boxes.error();
    log::warning("imap login of {} [{}]: mail not opened: {}", principal->name, peer_ip_,
                 e.describe());
    // Shell accounts and the superuser get the opener's own words; an
    // outage a generic text.
    no(c, "UNAVAILABLE",
       e.kind() == ErrorKind::kPermission ? e.message()
                                          : "The mailbox is not available now; try again later");
    co_return;
  }
  boxes_ = std::move(*boxes);
  user_ = principal->name;
  state_ = State::kAuthenticated;
  log::info("imap login {} [{}]", user_, peer_ip_);
  ok(c, "Logged in", "CAPABILITY " + capability_list());
}

}  // namespace hm::imap
