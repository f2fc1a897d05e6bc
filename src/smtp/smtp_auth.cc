// AUTH (RFC 4954) and what a logged-in user may do: the submission role's
// part of the session (RFC 6409). See smtp_service.h.

#include <string.h>

#include "base/log.h"
#include "directory/address.h"
#include "mime/header.h"
#include "smtp/proto/sasl.h"
#include "smtp/smtp_session.h"

namespace hm::smtp {

using proto::Reply;

namespace {

// The password leaves memory as soon as it has been checked.
void wipe(std::string& secret) {
  explicit_bzero(secret.data(), secret.size());
  secret.clear();
}

}  // namespace

bool Session::admit(RateLimiter::What what) {
  const std::string account = user_ ? user_->name : std::string();
  if (ctx_.rates->admit(what, account, peer_ip_, RateLimiter::Clock::now())) return true;
  log::warning("smtp rate limit: {} from [{}] user={}",
               what == RateLimiter::What::kMessage ? "messages" : "recipients", peer_ip_, account);
  reply(451, "4.7.1", "Rate limit exceeded, try again later");
  return false;
}

asio::awaitable<std::optional<std::string>> Session::challenge(std::string_view text) {
  send(proto::make_reply(334, "", text));
  if (!co_await flush()) co_return std::nullopt;
  std::string line;
  using Read = net::Connection::Read;
  const size_t limit = std::max<size_t>(ctx_.settings.line_length, 12288);
  const Read r = co_await conn_.read_line(line, limit, ctx_.settings.command_timeout);
  if (r == Read::kClosed) co_return std::nullopt;
  if (r == Read::kTimeout) {
    reply(421, "4.4.2", ctx_.settings.hostname + " Timeout, closing connection");
    co_return std::nullopt;
  }
  if (r == Read::kTooLong) co_return std::string("\x01");  // no base64: refused as malformed
  co_return line;
}

asio::awaitable<bool> Session::do_auth(const proto::Command& c) {
  if (!offers_auth()) {
    reply(503, "5.5.1", "AUTH is not offered on this port; use the submission port");
    count_error();
    co_return true;
  }
  if (!conn_.secure()) {
    reply(proto::auth_needs_encryption());
    count_error();
    co_return true;
  }
  if (user_) {
    reply(503, "5.5.1", "Already authenticated");
    count_error();
    co_return true;
  }
  if (sender_) {
    reply(503, "5.5.1", "AUTH is not permitted during a mail transaction");
    count_error();
    co_return true;
  }
  const size_t space = c.argument.find(' ');
  const std::string name = c.argument.substr(0, space);
  std::optional<std::string> initial;
  if (space != std::string::npos) initial = c.argument.substr(space + 1);
  const auto mechanism = proto::sasl_mechanism(name);
  if (!mechanism) {
    reply(proto::auth_unknown_mechanism());
    count_error();
    co_return true;
  }

  std::optional<proto::SaslCredentials> credentials;
  if (*mechanism == proto::SaslMechanism::kPlain) {
    std::optional<std::string> response = initial;
    if (!response) response = co_await challenge("");
    if (!response) co_return false;
    if (*response == "*") {
      reply(proto::auth_cancelled());
      co_return true;
    }
    credentials = proto::decode_plain(*response);
    wipe(*response);
  } else {
    std::optional<std::string> user = initial;
    if (!user) user = co_await challenge(proto::kLoginUserChallenge);
    if (!user) co_return false;
    if (*user == "*") {
      reply(proto::auth_cancelled());
      co_return true;
    }
    std::optional<std::string> password = co_await challenge(proto::kLoginPasswordChallenge);
    if (!password) co_return false;
    if (*password == "*") {
      reply(proto::auth_cancelled());
      co_return true;
    }
    auto login = proto::decode_login_line(*user);
    auto secret = proto::decode_login_line(*password);
    wipe(*password);
    if (login && secret)
      credentials = proto::SaslCredentials{std::move(*login), std::move(*secret)};
  }
  if (!credentials) {
    reply(proto::auth_malformed());
    count_error();
    co_return true;
  }

  // On the directory's workers: a password hash costs milliseconds of CPU
  // by design, and PAM goes through the privileged helper. The lambda
  // captures only pointers (see do_rcpt).
  const proto::SaslCredentials* given = &*credentials;
  auto result =
      co_await net::await_callback<Result<directory::Principal>>([this, given](auto done) {
        ctx_.directory.authenticate(given->login, given->password, directory::Service::kSmtp,
                                    std::move(done), peer_ip_);
      });
  wipe(credentials->password);
  if (result && result->is_superuser()) {
    // The superuser administers; it has no address to send as.
    result =
        fail(ErrorKind::kAuthFailed, "authentication failed", "the superuser does not send mail");
  }
  if (result) {
    user_ = std::move(*result);
    log::info("smtp login user={} from [{}] on {}", user_->name, peer_ip_,
              ctx_.settings.service_name);
    reply(proto::auth_succeeded());
    co_return true;
  }
  // The reason goes to the log only: a client cannot tell an unknown user
  // from a wrong password (directory/authenticator.h).
  log::info("smtp login failed user={} from [{}]: {}", credentials->login, peer_ip_,
            result.error().describe());
  if (result.error().kind() == ErrorKind::kAuthFailed) {
    send(proto::auth_invalid());
    count_error();
  } else {
    send(proto::auth_temporary());
  }
  co_return true;
}

asio::awaitable<bool> Session::owns(const std::string& address, std::string_view what) {
  if (postmaster_may_send_as(*user_, address, ctx_.settings.policy)) co_return true;
  Result<directory::Resolution> resolution = co_await lookup(address);
  if (!resolution) {
    if (resolution.error().temporary()) {
      log::info("smtp [{}] user={}: cannot check <{}>: {}", peer_ip_, user_->name, address,
                resolution.error().describe());
      reply(451, "4.3.0", "<" + address + ">: cannot check the address now, try again later");
      co_return false;
    }
  } else if (sender_belongs(*user_, *resolution, ctx_.settings.policy)) {
    co_return true;
  }
  reply(553, "5.7.1",
        "<" + address + ">: " + std::string(what) + " rejected: not owned by user " + user_->name);
  count_error();
  co_return false;
}

asio::awaitable<bool> Session::complete_submission(std::string_view message,
                                                   std::string& completed) {
  // The client's header, after our Received: field.
  const std::string_view client = message.substr(received_size_);
  const SubmittedHeader header = read_submitted_header(client.substr(0, mime::header_end(client)));
  if (ctx_.settings.policy.sender_check) {
    // A bound on the lookups one message can make.
    constexpr size_t kMostFrom = 20;
    if (header.from.size() > kMostFrom) {
      reply(553, "5.7.1", "Too many From: addresses");
      co_return false;
    }
    for (const std::string& from : header.from) {
      auto normalized = directory::normalize_address(from);
      const std::string& address = normalized ? *normalized : from;
      if (!co_await owns(address, "From: address")) co_return false;
    }
  }
  const std::string added =
      missing_fields(header, message_id_, ctx_.settings.hostname, rfc5322_date());
  if (added.empty()) co_return true;
  // One copy, only for a submitted message that lacks them: the fields go
  // right after our Received:, ahead of the client's header.
  completed.reserve(message.size() + added.size());
  completed.append(message.substr(0, received_size_));
  completed.append(added);
  completed.append(client);
  co_return true;
}

}  // namespace hm::smtp
