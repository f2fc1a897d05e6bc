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

asio::awaitable<void> Session::announce_changes() {
  if (!box_) co_return;
  auto lines = co_await blocking([this]() -> Result<std::string> {
    // With QRESYNC the expunged are named by UID (VANISHED), and the sync
    // reports positions: keep the UIDs they stood for.
    std::vector<uint32_t> before;
    if (qresync_) {
      before.reserve(box_->messages().size());
      for (const store::MessageMeta& m : box_->messages()) before.push_back(m.uid);
    }
    const size_t keywords_before = box_->keywords().size();
    auto changes = box_->sync();
    if (!changes) return fail(std::move(changes).error());
    std::string out;
    auto line = [&out](const std::string& text) { out += "* " + text + "\r\n"; };
    if (!changes->expunged.empty()) {
      if (qresync_) {
        std::vector<uint32_t> uids;
        for (uint32_t p : changes->expunged) {
          if (p >= 1 && p <= before.size()) uids.push_back(before[p - 1]);
        }
        if (!uids.empty()) line("VANISHED " + proto::format_numbers(std::move(uids)));
      } else {
        std::vector<uint32_t> positions = changes->expunged;
        std::sort(positions.begin(), positions.end(), std::greater<>());
        for (uint32_t p : positions) line(std::to_string(p) + " EXPUNGE");
      }
    }
    if (changes->keywords_changed || box_->keywords().size() != keywords_before) {
      line("FLAGS " + format_flag_list(box_->keywords(), false));
      if (!box_->read_only()) {
        line("OK [PERMANENTFLAGS " + format_flag_list(box_->keywords(), true) +
             "] Flags permitted");
      }
    }
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
    seen_modseq_ = box_->status().highest_modseq;
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
