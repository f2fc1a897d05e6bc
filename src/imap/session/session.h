#pragma once
// One IMAP conversation: a state machine (RFC 3501 3: not authenticated,
// authenticated, selected, logout) over a net::Connection, which owns the
// stream, the deadlines and the buffers. Commands are framed by
// imap/proto's CommandReader (literals, limits) and parsed by its parser;
// the mail is reached only through store/mailbox.h, on the service's worker
// pool. Internal to the IMAP service: includes Asio, so only the session's
// .cc files and its tests (which drive it over a stream in memory) include
// it.
//
// The commands are spread over files by state: session.cc (the loop and
// the commands of any state), auth_commands.cc, mailbox_commands.cc
// (authenticated state), list_command.cc, append_command.cc,
// select_command.cc, message_commands.cc (selected state: FETCH, STORE,
// SEARCH, COPY, MOVE, EXPUNGE), updates.cc (other sessions' changes, IDLE).

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "directory/async_directory.h"
#include "imap/proto/command.h"
#include "imap/proto/command_reader.h"
#include "imap/proto/response.h"
#include "imap/session/imap_service.h"
#include "imap/session/mailbox_names.h"
#include "net/asio.h"
#include "net/connection.h"
#include "store/mailbox.h"

namespace hm::imap {

namespace asio = net::asio;

// What sessions share: settings, the directory, the store, the pool, TLS.
struct SessionContext {
  ImapSettings settings;
  directory::AsyncDirectory& directory;
  AccountOpener open_account;
  asio::thread_pool& pool;
  net::TlsContext* starttls = nullptr;  // a certificate is configured: offer STARTTLS
  MailboxNames names{settings.namespace_style};
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
  enum class State { kNotAuthenticated, kAuthenticated, kSelected, kLogout };

  // What the client sent next.
  struct Input {
    // kTick: `tick` passed without a whole input (IDLE polls then).
    enum class Kind { kCommand, kLine, kTick, kEnd } kind = Kind::kEnd;
    proto::Command command;
    std::string line;
  };

  // ---- output (session.cc)
  void untagged(std::string_view text);  // "* <text>\r\n"
  void respond(const proto::Response& r);
  // The tagged response, held back in tagged_ until the command's
  // untagged updates are written (handle(), run()).
  void tagged(const proto::Command& c, proto::Status status, std::string_view code,
              std::string_view text);
  void send_tagged();
  void ok(const proto::Command& c, std::string_view text, std::string_view code = {});
  // NO (or BAD) for a refused command; counts towards errors_per_session.
  void no(const proto::Command& c, std::string_view code, std::string_view text);
  void bad(const proto::Command& c, std::string_view text);
  // NO for a store error: the right response code for its kind. With
  // `target` (APPEND, COPY, MOVE), a missing mailbox is [TRYCREATE].
  void store_error(const proto::Command& c, const Error& e, bool target = false);
  asio::awaitable<bool> flush();
  bool count_error();  // false once the session must end
  std::string capability_list() const;
  bool login_allowed() const;

  // ---- input (session.cc)
  // The next command (parsed), or with `plain` the next line as it is (an
  // AUTHENTICATE response, IDLE's DONE). kEnd when the client left, timed
  // out or sent too many errors.
  // `transfer`'s deadline holds (IDLE keeps one over its ticks); with a
  // `tick`, kTick comes after that long without a whole input.
  asio::awaitable<Input> read_input(bool plain, net::Connection::Transfer& transfer,
                                    std::chrono::milliseconds tick = {});
  net::Connection::Transfer new_transfer() const;

  // Runs `work` on the worker pool and resumes here with its result.
  template <typename Work>
  asio::awaitable<std::invoke_result_t<Work&>> blocking(Work work);

  asio::awaitable<void> handle(proto::Command& c);
  // Whether the command may run in the current state; answers BAD if not.
  bool allowed_now(const proto::Command& c);

  // ---- any state (session.cc)
  void do_capability(const proto::Command& c);
  void do_id(const proto::Command& c);
  void do_enable(const proto::Command& c);
  asio::awaitable<void> do_starttls(const proto::Command& c);

  // ---- not authenticated (auth_commands.cc)
  asio::awaitable<void> do_login(const proto::Command& c);
  asio::awaitable<void> do_authenticate(const proto::Command& c);
  asio::awaitable<void> log_in(const proto::Command& c, std::string login, std::string password);

  // ---- authenticated (mailbox_commands.cc, list_command.cc, append_command.cc)
  // The folder a mailbox argument names; answers NO and returns nullopt
  // when the name is refused.
  std::optional<store::FolderName> folder_of(const proto::Command& c, std::string_view name);
  asio::awaitable<void> do_create(const proto::Command& c);
  asio::awaitable<void> do_delete(const proto::Command& c);
  asio::awaitable<void> do_rename(const proto::Command& c);
  asio::awaitable<void> do_subscribe(const proto::Command& c, bool subscribe);
  asio::awaitable<void> do_list(const proto::Command& c);
  asio::awaitable<void> do_status(const proto::Command& c);
  asio::awaitable<void> do_append(proto::Command& c);
  void do_namespace(const proto::Command& c);
  asio::awaitable<void> do_quota(const proto::Command& c);
  // "* STATUS <name> (...)" for the items asked, from `s`.
  std::string status_line(std::string_view name, const store::MailboxStatus& s,
                          const std::vector<std::string>& items) const;

  // ---- selected (select_command.cc, message_commands.cc)
  asio::awaitable<void> do_select(const proto::Command& c);
  asio::awaitable<void> close_mailbox(bool expunge);
  asio::awaitable<void> do_close(const proto::Command& c, bool expunge);
  asio::awaitable<void> do_expunge(const proto::Command& c);
  asio::awaitable<void> do_fetch(const proto::Command& c);
  asio::awaitable<void> do_store(const proto::Command& c);
  asio::awaitable<void> do_search(const proto::Command& c);
  asio::awaitable<void> do_copy(const proto::Command& c, bool move);
  // The messages a sequence set names, as UIDs ascending (positions with
  // `seq`); unknown numbers are left out.
  std::vector<uint32_t> uids_of(const proto::SequenceSet& set, bool uid) const;
  // EXPUNGE responses (or VANISHED with QRESYNC) for the UIDs `gone`,
  // which have just left the view.
  std::string expunged_lines(std::vector<uint32_t> gone) const;

  // ---- other sessions' changes (updates.cc)
  // Syncs the selected mailbox and sends what changed (EXISTS, EXPUNGE or
  // VANISHED, FETCH FLAGS, FLAGS). Only where RFC 3501 7.4.1 allows
  // EXPUNGE: never during FETCH, STORE or SEARCH.
  asio::awaitable<void> announce_changes();
  asio::awaitable<void> do_idle(const proto::Command& c);
  // "* n FETCH (UID u FLAGS (...) [MODSEQ (m)])" for the message at `pos`.
  std::string flags_update(size_t pos, bool with_uid) const;
  // "* FLAGS" and "* OK [PERMANENTFLAGS ...]" for the mailbox's keywords now.
  std::string keywords_update();

  SessionContext& ctx_;
  net::Connection& conn_;
  const std::string& peer_ip_;
  proto::CommandReader reader_;
  State state_ = State::kNotAuthenticated;
  unsigned errors_ = 0;
  bool closing_ = false;
  std::string user_;    // who logged in, for the log
  std::string tagged_;  // the current command's tagged response, not yet written

  std::unique_ptr<store::Mailboxes> boxes_;
  std::unique_ptr<store::Mailbox> box_;  // the selected mailbox
  store::FolderName selected_folder_;
  // How many keywords the client was last told of (FLAGS): a new keyword,
  // ours or another session's, makes FLAGS and PERMANENTFLAGS go out again.
  size_t keywords_announced_ = 0;
  bool condstore_ = false;  // CONDSTORE enabled (RFC 7162 3.1)
  bool qresync_ = false;    // QRESYNC enabled (implies CONDSTORE)
};

template <typename Work>
asio::awaitable<std::invoke_result_t<Work&>> Session::blocking(Work work) {
  using T = std::invoke_result_t<Work&>;
  // The coroutine waits here, so `work` (in its frame) outlives the call.
  co_return co_await net::await_callback<T>([this, &work](auto done) {
    asio::post(ctx_.pool, [&work, done = std::move(done)]() mutable { done(work()); });
  });
}

}  // namespace hm::imap
