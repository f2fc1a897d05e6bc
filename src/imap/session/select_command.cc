// SELECT and EXAMINE (RFC 3501 6.3.1-2) with CONDSTORE (RFC 7162 3.1.8)
// and QRESYNC (3.2.5: VANISHED (EARLIER) and the FETCH of what changed
// since the client's MODSEQ), CLOSE and UNSELECT (RFC 3691).

#include "base/log.h"
#include "imap/message/flag_names.h"
#include "imap/proto/sequence_set.h"
#include "imap/session/session.h"

namespace hm::imap {

namespace {

struct Opened {
  std::unique_ptr<store::Mailbox> box;
  std::string lines;  // the untagged responses, in order
};

}  // namespace

asio::awaitable<void> Session::close_mailbox(bool expunge) {
  if (!box_) co_return;
  co_await blocking([this, expunge] {
    // CLOSE expunges silently (RFC 3501 6.4.2); nothing to do on a
    // read-only view.
    if (expunge && !box_->read_only()) {
      auto gone = box_->expunge(nullptr);
      if (!gone) log::warning("imap {} CLOSE: expunge failed: {}", user_, gone.error().describe());
    }
    box_.reset();
    return true;
  });
  selected_folder_.clear();
  state_ = State::kAuthenticated;
}

asio::awaitable<void> Session::do_close(const proto::Command& c, bool expunge) {
  co_await close_mailbox(expunge);
  ok(c, expunge ? "CLOSE completed" : "UNSELECT completed");
}

asio::awaitable<void> Session::do_select(const proto::Command& c) {
  const auto& args = std::get<proto::MailboxArgs>(c.args);
  const bool examine = c.name == proto::CommandName::kExamine;
  // A SELECT ends the previous selection whether it succeeds or not
  // (RFC 3501 6.3.1), without expunging; QRESYNC clients learn of it.
  if (box_) {
    co_await close_mailbox(false);
    if (qresync_) untagged("OK [CLOSED] Previous mailbox closed");
  }
  auto folder = folder_of(c, args.mailbox);
  if (!folder) co_return;
  if (args.qresync && !qresync_) {
    bad(c, "Enable QRESYNC first (ENABLE QRESYNC)");
    co_return;
  }
  if (args.condstore) condstore_ = true;

  auto opened = co_await blocking([&]() -> Result<Opened> {
    auto box = boxes_->open(*folder, examine);
    if (!box) return fail(std::move(box).error());
    store::Mailbox& b = **box;
    const store::MailboxStatus st = b.status();
    const auto& view = b.messages();
    Opened out;
    std::string& l = out.lines;
    l += "* FLAGS " + format_flag_list(b.keywords(), false) + "\r\n";
    l += "* OK [PERMANENTFLAGS " +
         (b.read_only() ? std::string("()") : format_flag_list(b.keywords(), true)) +
         "] Flags permitted\r\n";
    l += "* " + std::to_string(view.size()) + " EXISTS\r\n";
    uint32_t recent = 0;
    size_t first_unseen = 0;
    for (size_t i = 0; i < view.size(); ++i) {
      if (view[i].recent) ++recent;
      if (first_unseen == 0 && !(view[i].flags & store::kFlagSeen)) first_unseen = i + 1;
    }
    l += "* " + std::to_string(recent) + " RECENT\r\n";
    if (first_unseen > 0) {
      l += "* OK [UNSEEN " + std::to_string(first_unseen) + "] First unseen\r\n";
    }
    l += "* OK [UIDVALIDITY " + std::to_string(st.uid_validity) + "] UIDs valid\r\n";
    l += "* OK [UIDNEXT " + std::to_string(st.uid_next) + "] Predicted next UID\r\n";
    l += "* OK [HIGHESTMODSEQ " + std::to_string(st.highest_modseq) + "] Highest\r\n";
    if (args.qresync && args.qresync->uidvalidity == st.uid_validity) {
      // RFC 7162 3.2.5.2: what vanished since the client's MODSEQ (among
      // the UIDs it says it knows), then FETCH of what changed since.
      const auto& q = *args.qresync;
      auto gone = b.expunged_since(q.modseq);
      if (gone) {
        std::vector<uint32_t> vanished;
        for (uint32_t uid : *gone) {
          if (!q.known_uids || q.known_uids->contains(uid, st.uid_next - 1)) {
            vanished.push_back(uid);
          }
        }
        if (!vanished.empty()) {
          l += "* VANISHED (EARLIER) " + proto::format_numbers(std::move(vanished)) + "\r\n";
        }
      }
      for (size_t i = 0; i < view.size(); ++i) {
        if (view[i].modseq <= q.modseq) continue;
        l += "* " + std::to_string(i + 1) + " FETCH (UID " + std::to_string(view[i].uid) +
             " FLAGS " + format_flags(view[i], b.keywords()) + " MODSEQ (" +
             std::to_string(view[i].modseq) + "))\r\n";
      }
    }
    out.box = std::move(*box);
    return out;
  });
  if (!opened) {
    store_error(c, opened.error());
    co_return;
  }
  conn_.write(opened->lines);
  box_ = std::move(opened->box);
  selected_folder_ = *folder;
  keywords_announced_ = box_->keywords().size();
  state_ = State::kSelected;
  ok(c, examine ? "EXAMINE completed" : "SELECT completed",
     box_->read_only() ? "READ-ONLY" : "READ-WRITE");
}

}  // namespace hm::imap
