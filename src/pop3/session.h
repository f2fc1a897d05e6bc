#pragma once
// One POP3 conversation (RFC 1939 3: the AUTHORIZATION, TRANSACTION and
// UPDATE states) over a net::Connection, which owns the stream, the
// deadlines and the buffers. Lines are parsed by command.h; the mail is
// reached only through the Maildrop (maildrop.h), on the service's worker
// pool. Internal to the POP3 service: includes Asio, so only the service's
// .cc files and its tests include it.
//
// Files: session.cc (the loop, CAPA, STLS, QUIT), auth_commands.cc (USER,
// PASS, AUTH and the login), transaction_commands.cc (STAT, LIST, UIDL,
// RETR, TOP, DELE, RSET, NOOP).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "access/account_opener.h"
#include "directory/async_directory.h"
#include "net/asio.h"
#include "net/connection.h"
#include "pop3/command.h"
#include "pop3/maildrop.h"
#include "pop3/pop3_service.h"

namespace hm::pop3 {

namespace asio = net::asio;

// What sessions share: settings, the directory, the store, the pool, TLS.
struct SessionContext {
  Pop3Settings settings;
  directory::AsyncDirectory& directory;
  mail_access::AccountOpener open_account;
  asio::thread_pool& pool;
  net::TlsContext* starttls = nullptr;  // a certificate is configured: offer STLS
};

class Session {
 public:
  Session(SessionContext& context, net::Connection& connection);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  // The conversation, from the greeting to the close.
  asio::awaitable<void> run();

 private:
  enum class State { kAuthorization, kTransaction, kDone };

  // ---- output (session.cc)
  void ok(std::string_view text);
  // -ERR with an optional response code (RFC 2449 8); `counted` errors
  // count towards errors_per_session.
  void err(std::string_view code, std::string_view text, bool counted = true);
  bool count_error();  // false once the session must end
  bool login_allowed() const;
  asio::awaitable<bool> flush();
  // The next line; nullopt when the client left, timed out or sent too
  // many errors (closing_ is then set).
  asio::awaitable<std::optional<std::string>> read_line();

  template <typename Work>
  asio::awaitable<std::invoke_result_t<Work&>> blocking(Work work);

  asio::awaitable<void> handle(Command& c);
  void do_capa();
  asio::awaitable<void> do_stls();
  asio::awaitable<void> do_quit();

  // ---- AUTHORIZATION (auth_commands.cc)
  void do_user(Command& c);
  asio::awaitable<void> do_pass(Command& c);
  asio::awaitable<void> do_auth(Command& c);
  asio::awaitable<void> log_in(std::string login, std::string password);

  // ---- TRANSACTION (transaction_commands.cc)
  // Whether `n` names a message not deleted; answers -ERR if not.
  bool check_message(uint32_t n);
  void do_stat();
  void do_list(const Command& c);
  void do_uidl(const Command& c);
  asio::awaitable<void> do_retr(const Command& c, bool top);
  void do_dele(const Command& c);
  void do_rset();

  SessionContext& ctx_;
  net::Connection& conn_;
  const std::string& peer_ip_;
  State state_ = State::kAuthorization;
  unsigned errors_ = 0;
  bool closing_ = false;
  std::string user_;         // USER's name, then who logged in
  bool user_given_ = false;  // USER accepted, PASS may follow
  std::unique_ptr<store::Mailboxes> boxes_;
  std::unique_ptr<Maildrop> drop_;
};

template <typename Work>
asio::awaitable<std::invoke_result_t<Work&>> Session::blocking(Work work) {
  using T = std::invoke_result_t<Work&>;
  co_return co_await net::await_callback<T>([this, &work](auto done) {
    asio::post(ctx_.pool, [&work, done = std::move(done)]() mutable { done(work()); });
  });
}

}  // namespace hm::pop3
