// Other sessions' (and deliveries') changes reaching a selected session
// (RFC 3501 7.4.1, 5.2): after every command that allows them, on NOOP
// and CHECK, and within a second in IDLE (RFC 2177), which polls
// Mailbox::sync() (a few stat calls when nothing changed).

#include <algorithm>

#include "base/log.h"
#include "imap/message/flag_names.h"
#include "imap/proto/command_parser.h"
#include "imap/proto/sequence_set.h"
#include "imap/session/session.h"

namespace hm::imap {

std::string Session::flags_update(size_t pos, bool with_uid) const {
  const store::MessageMeta& m = box_->messages()[pos];
  std::string line = std::to_string(pos + 1) + " FETCH (";
  if (with_uid) line += "UID " + std::to_string(m.uid) + " ";
  line += "FLAGS " + format_flags(m, box_->keywords());
  if (condstore_) line += " MODSEQ (" + std::to_string(m.modseq) + ")";
  line += ')';
  return line;
}

std::string Session::keywords_update() {
  keywords_announced_ = box_->keywords().size();
  std::string out = "* FLAGS " + format_flag_list(box_->keywords(), false) + "\r\n";
  if (!box_->read_only()) {
    out += "* OK [PERMANENTFLAGS " + format_flag_list(box_->keywords(), true) +
           "] Flags permitted\r\n";
  }
  return out;
}

asio::awaitable<void> Session::announce_changes() {
  if (!box_) co_return;
  auto lines = co_await blocking([this]() -> Result<std::string> {
    auto changes = box_->sync();
    if (!changes) return fail(std::move(changes).error());
    std::string out;
    auto line = [&out](const std::string& text) { out += "* " + text + "\r\n"; };
    out += expunged_lines(changes->expunged);
    if (box_->keywords().size() != keywords_announced_) out += keywords_update();
    if (changes->added > 0) {
      const auto& view = box_->messages();
      line(std::to_string(view.size()) + " EXISTS");
      uint32_t recent = 0;
      for (const store::MessageMeta& m : view) recent += m.recent ? 1 : 0;
      line(std::to_string(recent) + " RECENT");
    }
    for (uint32_t uid : changes->changed) {
      if (auto pos = box_->find(uid)) line(flags_update(*pos, true));
    }
    return out;
  });
  if (!lines) {
    // The next poll tries again; the client keeps its (older) view.
    log::warning("imap {} [{}]: sync failed: {}", user_, peer_ip_, lines.error().describe());
    co_return;
  }
  conn_.write(*lines);
}

asio::awaitable<void> Session::do_idle(const proto::Command& c) {
  conn_.write(proto::format_continuation("idling"));
  net::Connection::Transfer transfer = new_transfer();
  for (;;) {
    Input in = co_await read_input(/*plain=*/true, transfer, ctx_.settings.idle_poll);
    if (in.kind == Input::Kind::kTick) {
      if (state_ == State::kSelected) co_await announce_changes();
      continue;
    }
    if (in.kind == Input::Kind::kEnd) {
      closing_ = true;
      co_return;
    }
    if (proto::is_idle_done(in.line)) {
      ok(c, "IDLE terminated");
    } else {
      bad(c, "Expected DONE to end IDLE");
    }
    co_return;
  }
}

}  // namespace hm::imap
