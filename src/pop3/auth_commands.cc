// USER/PASS (RFC 1939 7) and AUTH (RFC 5034: SASL PLAIN RFC 4616 and
// LOGIN, with the initial response), through the directory's Authenticator
// as IMAP logs in (directory::Service::kPop3: the account's POP3 switch,
// the throttles, the cache of proven logins), then the INBOX opened as the
// maildrop on the store's pool.

#include "access/sasl_plain.h"
#include "base/base64.h"
#include "base/log.h"
#include "pop3/session.h"

namespace hm::pop3 {

void Session::do_user(Command& c) {
  if (!login_allowed()) {
    err("AUTH", "Use STLS (or the pop3s port) before logging in");
    return;
  }
  user_ = std::move(c.text);
  user_given_ = true;
  ok("Send PASS");
}

asio::awaitable<void> Session::do_pass(Command& c) {
  if (!login_allowed()) {
    err("AUTH", "Use STLS (or the pop3s port) before logging in");
    co_return;
  }
  if (!user_given_) {
    err("", "Send USER first");
    co_return;
  }
  user_given_ = false;
  co_await log_in(std::move(user_), std::move(c.text));
}

asio::awaitable<void> Session::do_auth(Command& c) {
  if (c.text.empty()) {
    // The mechanism list some clients ask for (the AUTH extension before
    // RFC 5034 had CAPA's SASL line).
    conn_.write("+OK Mechanisms follow\r\nPLAIN\r\nLOGIN\r\n.\r\n");
    co_return;
  }
  if (!login_allowed()) {
    err("AUTH", "Use STLS (or the pop3s port) before authenticating");
    co_return;
  }
  if (c.text != "PLAIN" && c.text != "LOGIN") {
    err("", "Unsupported mechanism; this server offers PLAIN and LOGIN");
    co_return;
  }
  // One client response: the initial one, or after "+ <challenge>". An
  // empty optional: the client cancelled ("*"), left, or sent bad base64.
  std::optional<std::string> initial = std::move(c.initial_response);
  bool malformed = false;
  auto response = [this, &initial, &malformed](
                      std::string_view challenge) -> asio::awaitable<std::optional<std::string>> {
    std::string text;
    if (initial) {
      text = *std::exchange(initial, std::nullopt);
      if (text == "=") co_return std::string();  // RFC 5034 4: an empty initial response
    } else {
      conn_.write("+ " + base64_encode(challenge) + "\r\n");
      auto line = co_await read_line();
      if (!line) co_return std::nullopt;
      text = std::move(*line);
    }
    if (text == "*") co_return std::nullopt;
    auto decoded = base64_decode(text);
    if (!decoded) malformed = true;
    co_return decoded;
  };
  auto refuse = [this, &malformed] {
    if (closing_) return;
    err("", malformed ? "Invalid base64 in the response" : "Authentication cancelled");
  };
  std::string login, password;
  if (c.text == "PLAIN") {
    auto r = co_await response("");
    if (!r) {
      refuse();
      co_return;
    }
    auto plain = mail_access::parse_sasl_plain(*r);
    if (!plain) {
      err("", "Malformed PLAIN response (authzid NUL authcid NUL password, in base64)");
      co_return;
    }
    if (!plain->authzid.empty() && plain->authzid != plain->login) {
      err("AUTH", "Logging in as another user is not allowed");
      co_return;
    }
    login = std::move(plain->login);
    password = std::move(plain->password);
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
  co_await log_in(std::move(login), std::move(password));
}

asio::awaitable<void> Session::log_in(std::string login, std::string password) {
  auto principal = co_await net::await_callback<Result<directory::Principal>>(
      [this, &login, &password](auto done) {
        ctx_.directory.authenticate(login, password, directory::Service::kPop3, std::move(done),
                                    peer_ip_);
      });
  if (!principal) {
    const Error& e = principal.error();
    log::info("pop3 login failed [{}] {}: {}", peer_ip_, login, e.describe());
    if (e.kind() == ErrorKind::kAuthFailed) {
      // RFC 3206: [AUTH], never why (a wrong password and a closed
      // account look alike).
      err("AUTH", "Authentication failed");
    } else if (e.kind() == ErrorKind::kTemporary) {
      // A directory outage, or too many failures (the throttle's text says
      // when to try again).
      err("SYS/TEMP", e.message(), false);
    } else {
      err("SYS/TEMP", "Authentication is not available now; try again later", false);
    }
    co_return;
  }
  // The account's mail, and its INBOX as the maildrop: a snapshot from here
  // on (maildrop.h).
  struct Opened {
    std::unique_ptr<store::Mailboxes> boxes;
    std::unique_ptr<Maildrop> drop;
  };
  auto opened = co_await blocking([this, &principal]() -> Result<Opened> {
    auto boxes = ctx_.open_account(*principal);
    if (!boxes) return fail(std::move(boxes).error());
    auto inbox = (*boxes)->open({}, /*read_only=*/false);
    if (!inbox) return fail(std::move(inbox).error());
    Opened o;
    o.drop = std::make_unique<Maildrop>(std::move(*inbox));
    o.boxes = std::move(*boxes);
    return o;
  });
  if (!opened) {
    const Error& e = opened.error();
    log::warning("pop3 login of {} [{}]: maildrop not opened: {}", principal->name, peer_ip_,
                 e.describe());
    if (e.kind() == ErrorKind::kPermission) {
      // Shell accounts and the superuser get the opener's own words.
      err("SYS/PERM", e.message(), false);
    } else {
      err("SYS/TEMP", "The mailbox is not available now; try again later", false);
    }
    co_return;
  }
  boxes_ = std::move(opened->boxes);
  drop_ = std::move(opened->drop);
  user_ = principal->name;
  state_ = State::kTransaction;
  log::info("pop3 login {} [{}] {} messages", user_, peer_ip_, drop_->count());
  ok("Logged in, " + std::to_string(drop_->live_count()) + " messages (" +
     std::to_string(drop_->live_size()) + " octets)");
}

}  // namespace hm::pop3
