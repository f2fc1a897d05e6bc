#include "imap/session/session.h"

#include <arpa/inet.h>

#include "base/log.h"
#include "base/strings.h"
#include "imap/proto/command_parser.h"
#include "imap/session/capabilities.h"

namespace hm::imap {

using proto::CommandName;
using proto::Status;

namespace {

proto::ReaderLimits reader_limits(const ImapSettings& s) {
  proto::ReaderLimits l;
  l.max_line_length = s.line_length;
  l.max_literal_size = s.append_limit;
  // One message per literal; MULTIAPPEND's several are bounded by this too.
  l.max_command_size = s.append_limit + 65536;
  return l;
}

constexpr size_t kKeepReaderBuffer = 64 * 1024;

bool is_loopback(const std::string& ip) {
  in_addr v4{};
  if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, ip.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // ::ffff:127.x.y.z, as a dual-stack socket shows an IPv4 client.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace

Session::Session(SessionContext& context, net::Connection& connection)
    : ctx_(context),
      conn_(connection),
      peer_ip_(connection.peer_ip()),
      reader_(reader_limits(context.settings)) {}

// The mailbox objects may hold files and the index's unwritten cache:
// they are closed on a worker, not on the event loop... except at the very
// end, where the session has no loop to come back to: run() closes them.
Session::~Session() = default;

// ---- output

void Session::untagged(std::string_view text) {
  std::string line = "* ";
  line += text;
  line += "\r\n";
  conn_.write(line);
}

void Session::respond(const proto::Response& r) { conn_.write(proto::format(r)); }

void Session::tagged(const proto::Command& c, Status status, std::string_view code,
                     std::string_view text) {
  // Held back until the command's untagged updates are out (handle()).
  tagged_ += proto::format(proto::make_response(c.tag, status, code, text));
}

void Session::send_tagged() {
  conn_.write(tagged_);
  tagged_.clear();
}

void Session::ok(const proto::Command& c, std::string_view text, std::string_view code) {
  tagged(c, Status::kOk, code, text);
}

void Session::no(const proto::Command& c, std::string_view code, std::string_view text) {
  tagged(c, Status::kNo, code, text);
}

void Session::bad(const proto::Command& c, std::string_view text) {
  tagged(c, Status::kBad, "", text);
  count_error();
}

void Session::store_error(const proto::Command& c, const Error& e, bool target) {
  if (target && e.kind() == ErrorKind::kNotFound) {
    // RFC 3501 6.3.11, 6.4.7: the client may create it and try again.
    no(c, "TRYCREATE", "No such mailbox; create it first");
    return;
  }
  std::string_view code;
  std::string text = e.message();
  switch (e.kind()) {
    case ErrorKind::kNotFound: code = "NONEXISTENT"; break;
    case ErrorKind::kExists: code = "ALREADYEXISTS"; break;
    case ErrorKind::kOverQuota: code = "OVERQUOTA"; break;
    case ErrorKind::kLimit: code = "LIMIT"; break;
    case ErrorKind::kInvalid: code = "CANNOT"; break;
    case ErrorKind::kPermission: code = "NOPERM"; break;
    case ErrorKind::kTemporary:
    case ErrorKind::kInternal:
    default:
      code = "SERVERBUG";
      if (e.kind() == ErrorKind::kTemporary) code = "UNAVAILABLE";
      // The detail goes to the log only.
      log::warning("imap {} [{}] {}: {}", user_, peer_ip_, proto::to_string(c.name), e.describe());
      text = "Temporary failure; try again later";
      break;
  }
  if (text.empty()) text = "Refused";
  no(c, code, text);
}

asio::awaitable<bool> Session::flush() { return conn_.flush(ctx_.settings.idle_timeout); }

bool Session::count_error() {
  if (++errors_ < ctx_.settings.errors_per_session) return true;
  untagged("BYE Too many errors, closing connection");
  closing_ = true;
  return false;
}

bool Session::login_allowed() const {
  if (conn_.secure()) return true;
  switch (ctx_.settings.plaintext_login) {
    case PlaintextLogin::kAlways: return true;
    case PlaintextLogin::kNever: return false;
    case PlaintextLogin::kLoopback: return is_loopback(peer_ip_);
  }
  return false;
}

std::string Session::capability_list() const {
  CapabilityState s;
  s.authenticated = state_ != State::kNotAuthenticated;
  s.starttls_offered = ctx_.starttls != nullptr && !conn_.secure();
  s.login_allowed = login_allowed();
  s.append_limit = ctx_.settings.append_limit;
  return capabilities(s);
}

// ---- input

net::Connection::Transfer Session::new_transfer() const {
  // Waiting for a command may take the whole idle time; a literal on top
  // earns one second per literal_min_rate octets.
  return net::Connection::Transfer(
      net::TransferLimits{ctx_.settings.idle_timeout, ctx_.settings.literal_min_rate});
}

// GCC 12 reports asio's coroutine frame (allocated by its own operator new,
// freed by its own operator delete) as mismatched in this function: a
// false positive of its inliner.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
asio::awaitable<Session::Input> Session::read_input(bool plain, net::Connection::Transfer& transfer,
                                                    std::chrono::milliseconds tick) {
  if (plain) reader_.expect_plain_line();
  for (;;) {
    std::string& in = conn_.input();
    while (!in.empty()) {
      const proto::CommandReader::Step step = reader_.feed(in);
      // command() is the reader's own copy: the input can go.
      in.erase(0, step.consumed);
      using Event = proto::CommandReader::Event;
      switch (step.event) {
        case Event::kNeedMore: break;
        case Event::kContinuation:
          conn_.write(proto::format_continuation("Ready for literal data"));
          break;
        case Event::kError:
          respond(reader_.error());
          if (!count_error()) co_return Input{};
          if (plain) {
            // An over-long AUTHENTICATE response or DONE: the caller ends
            // what it was doing.
            Input line;
            line.kind = Input::Kind::kLine;
            co_return line;
          }
          break;
        case Event::kCommand: {
          Input got;
          if (plain) {
            got.kind = Input::Kind::kLine;
            got.line = std::string(reader_.command());
            co_return got;
          }
          auto parsed = proto::parse_command(reader_.command());
          if (auto* r = std::get_if<proto::Response>(&parsed)) {
            respond(*r);
            if (!count_error()) co_return Input{};
            break;
          }
          got.kind = Input::Kind::kCommand;
          got.command = std::move(std::get<proto::Command>(parsed));
          co_return got;
        }
      }
    }
    if (!co_await flush()) co_return Input{};
    if (tick.count() > 0) {
      const auto got = co_await conn_.read_more_or_tick(transfer, tick);
      if (got == net::Connection::Wait::kTick) {
        Input t;
        t.kind = Input::Kind::kTick;
        co_return t;
      }
      if (got == net::Connection::Wait::kInput) continue;
    } else if (co_await conn_.read_more(transfer)) {
      continue;
    }
    if (conn_.timed_out()) untagged("BYE Autologout; idle for too long");
    co_return Input{};
  }
}
#pragma GCC diagnostic pop

// ---- the conversation

asio::awaitable<void> Session::run() {
  log::info("imap connect from [{}]", peer_ip_);
  untagged("OK [CAPABILITY " + capability_list() + "] " + ctx_.settings.hostname +
           " IMAP4rev1 hostmail ready");
  while (!closing_ && state_ != State::kLogout) {
    net::Connection::Transfer transfer = new_transfer();
    Input input = co_await read_input(false, transfer);
    if (input.kind != Input::Kind::kCommand) break;
    if (allowed_now(input.command)) co_await handle(input.command);
    send_tagged();
    // After a large command (an APPEND's literal) the reader's buffer would
    // keep its size for the rest of the session: start afresh (between
    // commands the reader holds nothing else).
    if (reader_.buffered() > kKeepReaderBuffer) {
      reader_ = proto::CommandReader(reader_limits(ctx_.settings));
    }
  }
  co_await flush();
  conn_.close();
  if (box_ || boxes_) {
    // Closing writes what the index has cached: on a worker, as every
    // store call.
    co_await blocking([this] {
      box_.reset();
      boxes_.reset();
      return true;
    });
  }
  log::info("imap disconnect from [{}]{}", peer_ip_, user_.empty() ? "" : " user=" + user_);
}

bool Session::allowed_now(const proto::Command& c) {
  const bool authenticated = state_ == State::kAuthenticated || state_ == State::kSelected;
  switch (c.name) {
    case CommandName::kCapability:
    case CommandName::kNoop:
    case CommandName::kLogout:
    case CommandName::kId: return true;
    case CommandName::kStartTls:
    case CommandName::kAuthenticate:
    case CommandName::kLogin:
      if (state_ == State::kNotAuthenticated) return true;
      bad(c, "Already logged in");
      return false;
    case CommandName::kCheck:
    case CommandName::kClose:
    case CommandName::kUnselect:
    case CommandName::kExpunge:
    case CommandName::kSearch:
    case CommandName::kFetch:
    case CommandName::kStore:
    case CommandName::kCopy:
    case CommandName::kMove:
      if (state_ == State::kSelected) return true;
      bad(c, authenticated ? "No mailbox selected" : "Log in first");
      return false;
    default:
      if (authenticated) return true;
      bad(c, "Log in first");
      return false;
  }
}

asio::awaitable<void> Session::handle(proto::Command& c) {
  // Untagged updates go before the tagged response; where EXPUNGE may not
  // be sent (RFC 3501 7.4.1: FETCH, STORE, SEARCH), the view is not synced
  // at all, so the client's sequence numbers stay true.
  bool updates = true;
  switch (c.name) {
    case CommandName::kCapability: do_capability(c); break;
    case CommandName::kNoop:
    case CommandName::kCheck:
      if (state_ == State::kSelected) co_await announce_changes();
      updates = false;
      ok(c, c.name == CommandName::kNoop ? "NOOP completed" : "CHECK completed");
      break;
    case CommandName::kLogout:
      untagged("BYE Logging out");
      ok(c, "LOGOUT completed");
      state_ = State::kLogout;
      conn_.release_address();
      break;
    case CommandName::kId: do_id(c); break;
    case CommandName::kEnable: do_enable(c); break;
    case CommandName::kStartTls: co_await do_starttls(c); break;
    case CommandName::kLogin: co_await do_login(c); break;
    case CommandName::kAuthenticate: co_await do_authenticate(c); break;
    case CommandName::kSelect:
    case CommandName::kExamine:
      co_await do_select(c);
      updates = false;
      break;
    case CommandName::kCreate: co_await do_create(c); break;
    case CommandName::kDelete: co_await do_delete(c); break;
    case CommandName::kRename: co_await do_rename(c); break;
    case CommandName::kSubscribe: co_await do_subscribe(c, true); break;
    case CommandName::kUnsubscribe: co_await do_subscribe(c, false); break;
    case CommandName::kList:
    case CommandName::kLsub: co_await do_list(c); break;
    case CommandName::kStatus: co_await do_status(c); break;
    case CommandName::kAppend: co_await do_append(c); break;
    case CommandName::kNamespace: do_namespace(c); break;
    case CommandName::kGetQuota:
    case CommandName::kGetQuotaRoot:
    case CommandName::kSetQuota: co_await do_quota(c); break;
    case CommandName::kIdle:
      co_await do_idle(c);
      updates = false;
      break;
    case CommandName::kClose: co_await do_close(c, true); break;
    case CommandName::kUnselect: co_await do_close(c, false); break;
    case CommandName::kExpunge: co_await do_expunge(c); break;
    case CommandName::kSearch:
      co_await do_search(c);
      updates = c.uid;
      break;
    case CommandName::kFetch:
      co_await do_fetch(c);
      updates = c.uid;
      break;
    case CommandName::kStore:
      co_await do_store(c);
      updates = c.uid;
      break;
    case CommandName::kCopy: co_await do_copy(c, false); break;
    case CommandName::kMove: co_await do_copy(c, true); break;
  }
  if (updates && state_ == State::kSelected && !closing_) co_await announce_changes();
}

// ---- any state

void Session::do_capability(const proto::Command& c) {
  untagged("CAPABILITY " + capability_list());
  ok(c, "CAPABILITY completed");
}

void Session::do_id(const proto::Command& c) {
  // RFC 2971: the server says who it is; what the client says goes to the
  // log (it helps to tell which client misbehaves).
  const auto& args = std::get<proto::IdArgs>(c.args);
  if (args.fields) {
    std::string said;
    for (const auto& [field, value] : *args.fields) {
      if (said.size() > 200) break;
      said += field + "=" + value.value_or("NIL") + " ";
    }
    log::info("imap [{}] client id: {}", peer_ip_, said);
  }
  untagged("ID (\"name\" \"hostmail\")");
  ok(c, "ID completed");
}

void Session::do_enable(const proto::Command& c) {
  if (state_ == State::kNotAuthenticated) {
    bad(c, "Log in first");
    return;
  }
  std::string enabled;
  for (const std::string& cap : std::get<proto::EnableArgs>(c.args).capabilities) {
    if (cap == "CONDSTORE" && !condstore_) {
      condstore_ = true;
      enabled += " CONDSTORE";
    } else if (cap == "QRESYNC" && !qresync_) {
      // RFC 7162 3.2.3: QRESYNC implies CONDSTORE.
      qresync_ = true;
      condstore_ = true;
      enabled += " QRESYNC";
    }
  }
  untagged("ENABLED" + enabled);
  ok(c, "ENABLE completed");
}

asio::awaitable<void> Session::do_starttls(const proto::Command& c) {
  if (!ctx_.starttls) {
    bad(c, "STARTTLS is not available (no certificate configured)");
    co_return;
  }
  if (conn_.secure()) {
    bad(c, "TLS is already active");
    co_return;
  }
  ok(c, "Begin TLS negotiation now");
  send_tagged();
  if (!co_await flush()) {
    closing_ = true;
    co_return;
  }
  std::string error;
  if (!co_await conn_.start_tls(*ctx_.starttls, ctx_.settings.idle_timeout, error)) {
    log::info("imap TLS handshake with [{}] failed: {}", peer_ip_, error);
    closing_ = true;
    co_return;
  }
  // Commands sent in clear text after STARTTLS were dropped by the
  // connection (CVE-2011-0411); the reader forgets any partial one.
  reader_ = proto::CommandReader(reader_limits(ctx_.settings));
}

}  // namespace hm::imap
