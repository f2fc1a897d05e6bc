// The selected state's commands on messages (RFC 3501 6.4): FETCH, STORE
// (CONDSTORE's UNCHANGEDSINCE and [MODIFIED]), SEARCH (ESEARCH's RETURN),
// COPY and MOVE (UIDPLUS's [COPYUID], RFC 6851), EXPUNGE and UID EXPUNGE,
// in their UID forms too. FETCH and SEARCH themselves are imap/message's;
// this file picks the messages, runs them on the pool and sends the result
// in bounded pieces.

#include <algorithm>

#include "base/log.h"
#include "imap/message/fetch_response.h"
#include "imap/message/flag_names.h"
#include "imap/message/search.h"
#include "imap/proto/sequence_set.h"
#include "imap/session/session.h"

namespace hm::imap {

using proto::CommandName;

namespace {

// FETCH output is sent in pieces of about this size, so that FETCH 1:*
// BODY[] of a large mailbox never sits whole in memory.
constexpr size_t kFetchChunk = 256 * 1024;

// Splits "[CODE ...] text" as imap/message writes its refusals.
std::pair<std::string, std::string> split_code(const std::string& message) {
  if (message.size() > 1 && message[0] == '[') {
    const size_t end = message.find(']');
    if (end != std::string::npos) {
      size_t text = end + 1;
      while (text < message.size() && message[text] == ' ') ++text;
      return {message.substr(1, end - 1), message.substr(text)};
    }
  }
  return {"", message};
}

bool has_modseq_key(const proto::SearchKey& key) {
  if (key.type == proto::SearchKey::Type::kModseq) return true;
  return std::any_of(key.children.begin(), key.children.end(), has_modseq_key);
}

}  // namespace

std::vector<uint32_t> Session::uids_of(const proto::SequenceSet& set, bool uid) const {
  const auto& view = box_->messages();
  std::vector<uint32_t> out;
  if (view.empty()) return out;
  if (uid) {
    const uint32_t star = view.back().uid;
    for (const proto::SeqRange& r : set.ranges) {
      uint32_t a = r.first == proto::kStar ? star : r.first;
      uint32_t b = r.last == proto::kStar ? star : r.last;
      if (a > b) std::swap(a, b);
      auto it = std::lower_bound(view.begin(), view.end(), a,
                                 [](const store::MessageMeta& m, uint32_t u) { return m.uid < u; });
      for (; it != view.end() && it->uid <= b; ++it) out.push_back(it->uid);
    }
  } else {
    const auto n = static_cast<uint32_t>(view.size());
    for (const proto::SeqRange& r : set.ranges) {
      uint32_t a = r.first == proto::kStar ? n : r.first;
      uint32_t b = r.last == proto::kStar ? n : r.last;
      if (a > b) std::swap(a, b);
      for (uint32_t s = a; s <= std::min(b, n); ++s) out.push_back(view[s - 1].uid);
    }
  }
  if (set.ranges.size() > 1) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
  return out;
}

// A sequence number past the view's end is the client's mistake (RFC 3501
// 9: "*" or a number that exists); UIDs that do not exist are not.
static bool seq_in_range(const proto::SequenceSet& set, size_t count) {
  for (const proto::SeqRange& r : set.ranges) {
    if ((r.first != proto::kStar && r.first > count) ||
        (r.last != proto::kStar && r.last > count)) {
      return false;
    }
  }
  return true;
}

std::string Session::expunged_lines(std::vector<uint32_t> gone) const {
  std::sort(gone.begin(), gone.end());
  if (gone.empty()) return {};
  if (qresync_) return "* VANISHED " + proto::format_numbers(gone) + "\r\n";
  // A message's sequence number before it left the view: the messages below
  // it then were those below it now and those expunged below it (added ones
  // all come after). Highest first, so that each number is still right
  // when the client reads it.
  std::string out;
  const auto& view = box_->messages();
  for (size_t i = gone.size(); i-- > 0;) {
    const auto below =
        std::lower_bound(view.begin(), view.end(), gone[i],
                         [](const store::MessageMeta& m, uint32_t u) { return m.uid < u; }) -
        view.begin();
    out += "* " + std::to_string(below + i + 1) + " EXPUNGE\r\n";
  }
  return out;
}

asio::awaitable<void> Session::do_fetch(const proto::Command& c) {
  const auto& args = std::get<proto::FetchArgs>(c.args);
  if (!c.uid && !seq_in_range(args.set, box_->messages().size())) {
    bad(c, "Invalid sequence number (the mailbox has " + std::to_string(box_->messages().size()) +
               " messages)");
    co_return;
  }
  if (args.vanished && (!c.uid || !qresync_ || !args.changed_since)) {
    bad(c, "VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC enabled");
    co_return;
  }
  if (args.changed_since) condstore_ = true;
  const bool modseq_item = std::any_of(
      args.atts.begin(), args.atts.end(),
      [](const proto::FetchAtt& a) { return a.item == proto::FetchAtt::Item::kModseq; });
  if (modseq_item) condstore_ = true;

  std::vector<uint32_t> uids = uids_of(args.set, c.uid);
  if (args.changed_since) {
    std::erase_if(uids, [&](uint32_t uid) {
      auto pos = box_->find(uid);
      return !pos || box_->messages()[*pos].modseq <= *args.changed_since;
    });
  }
  // \Seen first (RFC 3501 6.4.5), so that the FLAGS sent show it.
  std::vector<uint32_t> seen_now;
  if (fetch_sets_seen(args.atts) && !box_->read_only()) {
    std::vector<uint32_t> unseen;
    for (uint32_t uid : uids) {
      auto pos = box_->find(uid);
      if (pos && !(box_->messages()[*pos].flags & store::kFlagSeen)) unseen.push_back(uid);
    }
    if (!unseen.empty()) {
      store::FlagChange change;
      change.mode = store::FlagChange::Mode::kAdd;
      change.flags = store::kFlagSeen;
      auto set = co_await blocking([&] { return box_->set_flags(unseen, change); });
      if (set) {
        seen_now = std::move(set->changed);
        std::sort(seen_now.begin(), seen_now.end());
      } else {
        log::warning("imap {} FETCH: \\Seen not set: {}", user_, set.error().describe());
      }
    }
  }
  if (args.vanished) {
    auto gone = co_await blocking([&] { return box_->expunged_since(*args.changed_since); });
    if (gone) {
      std::vector<uint32_t> vanished;
      const uint32_t star = box_->messages().empty() ? 0 : box_->messages().back().uid;
      for (uint32_t uid : *gone) {
        if (args.set.contains(uid, std::max(star, uid))) vanished.push_back(uid);
      }
      if (!vanished.empty()) {
        untagged("VANISHED (EARLIER) " + proto::format_numbers(std::move(vanished)));
      }
    }
  }

  FetchContext fc;
  fc.uid_command = c.uid;
  fc.condstore = condstore_;
  size_t next = 0;
  bool missing = false;
  std::optional<Error> failure;
  while (next < uids.size() && !failure) {
    std::string out;
    co_await blocking([&] {
      while (next < uids.size() && out.size() < kFetchChunk) {
        const uint32_t uid = uids[next++];
        auto pos = box_->find(uid);
        if (!pos) continue;
        FetchContext one = fc;
        one.flags_changed = std::binary_search(seen_now.begin(), seen_now.end(), uid);
        Status s = write_fetch(*box_, static_cast<uint32_t>(*pos + 1), args.atts, one, out);
        if (!s) {
          if (s.error().kind() == ErrorKind::kNotFound) {
            missing = true;  // expunged on disk since the view's sync
            continue;
          }
          failure = s.error();
          break;
        }
      }
      return true;
    });
    conn_.write(out);
    if (!co_await flush()) {
      closing_ = true;
      co_return;
    }
  }
  if (failure) {
    auto [code, text] = split_code(failure->message());
    if (code.empty()) {
      store_error(c, *failure);
    } else {
      no(c, code, text);
    }
    co_return;
  }
  if (missing && !c.uid) {
    no(c, "EXPUNGEISSUED", "Some of the messages were expunged meanwhile");
    co_return;
  }
  ok(c, c.uid ? "UID FETCH completed" : "FETCH completed");
}

asio::awaitable<void> Session::do_store(const proto::Command& c) {
  const auto& args = std::get<proto::StoreArgs>(c.args);
  if (!c.uid && !seq_in_range(args.set, box_->messages().size())) {
    bad(c, "Invalid sequence number (the mailbox has " + std::to_string(box_->messages().size()) +
               " messages)");
    co_return;
  }
  if (box_->read_only()) {
    no(c, "CANNOT", "The mailbox is read-only (EXAMINE)");
    co_return;
  }
  auto flags = parse_flags(args.flags);
  if (!flags) {
    bad(c, flags.error().message());
    co_return;
  }
  if (args.unchanged_since) condstore_ = true;
  store::FlagChange change;
  switch (args.mode) {
    case proto::StoreArgs::Mode::kReplace: change.mode = store::FlagChange::Mode::kReplace; break;
    case proto::StoreArgs::Mode::kAdd: change.mode = store::FlagChange::Mode::kAdd; break;
    case proto::StoreArgs::Mode::kRemove: change.mode = store::FlagChange::Mode::kRemove; break;
  }
  change.flags = flags->flags;
  change.keywords = std::move(flags->keywords);
  change.unchanged_since = args.unchanged_since;
  const std::vector<uint32_t> uids = uids_of(args.set, c.uid);
  auto result = co_await blocking([&] { return box_->set_flags(uids, change); });
  if (!result) {
    store_error(c, result.error());
    co_return;
  }
  // A new keyword: the client's list of flags grows (RFC 3501 7.2.6).
  if (box_->keywords().size() != keywords_announced_) conn_.write(keywords_update());
  std::vector<uint32_t> failed = result->failed;
  std::sort(failed.begin(), failed.end());
  std::vector<uint32_t> changed = result->changed;
  std::sort(changed.begin(), changed.end());
  for (uint32_t uid : uids) {
    if (std::binary_search(failed.begin(), failed.end(), uid)) continue;
    auto pos = box_->find(uid);
    if (!pos) continue;
    if (!args.silent) {
      untagged(flags_update(*pos, c.uid));
    } else if (condstore_ && std::binary_search(changed.begin(), changed.end(), uid)) {
      // RFC 7162 3.1.3: with .SILENT the new MODSEQ is still said.
      const store::MessageMeta& m = box_->messages()[*pos];
      untagged(std::to_string(*pos + 1) + " FETCH (UID " + std::to_string(m.uid) + " MODSEQ (" +
               std::to_string(m.modseq) + "))");
    }
  }
  if (!failed.empty()) {
    std::vector<uint32_t> numbers;
    for (uint32_t uid : failed) {
      if (c.uid) {
        numbers.push_back(uid);
      } else if (auto pos = box_->find(uid)) {
        numbers.push_back(static_cast<uint32_t>(*pos + 1));
      }
    }
    ok(c, "Some messages were changed meanwhile",
       "MODIFIED " + proto::format_numbers(std::move(numbers)));
    co_return;
  }
  ok(c, c.uid ? "UID STORE completed" : "STORE completed");
}

asio::awaitable<void> Session::do_search(const proto::Command& c) {
  const auto& args = std::get<proto::SearchArgs>(c.args);
  const bool modseq = has_modseq_key(args.key);
  if (modseq) condstore_ = true;
  SearchContext sc;
  sc.charset = args.charset;
  auto found = co_await blocking([&] { return search(*box_, args.key, sc); });
  if (!found) {
    auto [code, text] = split_code(found.error().message());
    if (code.empty()) {
      store_error(c, found.error());
    } else {
      no(c, code, text);
    }
    co_return;
  }
  const auto& view = box_->messages();
  std::vector<uint32_t> numbers;
  numbers.reserve(found->size());
  uint64_t highest = 0;
  for (uint32_t seq : *found) {
    if (seq == 0 || seq > view.size()) continue;
    const store::MessageMeta& m = view[seq - 1];
    numbers.push_back(c.uid ? m.uid : seq);
    highest = std::max(highest, m.modseq);
  }
  if (args.esearch) {
    // RFC 4731: RETURN () means ALL.
    auto wants = [&](std::string_view o) {
      return args.return_options.empty() ||
             std::find(args.return_options.begin(), args.return_options.end(), o) !=
                 args.return_options.end();
    };
    const bool all = args.return_options.empty() || wants("ALL");
    std::string line = "ESEARCH (TAG ";
    proto::append_string(line, c.tag);
    line += ')';
    if (c.uid) line += " UID";
    if (!numbers.empty()) {
      if (!args.return_options.empty() && wants("MIN")) {
        line += " MIN " + std::to_string(*std::min_element(numbers.begin(), numbers.end()));
      }
      if (!args.return_options.empty() && wants("MAX")) {
        line += " MAX " + std::to_string(*std::max_element(numbers.begin(), numbers.end()));
      }
      if (all) line += " ALL " + proto::format_numbers(numbers);
    }
    if (!args.return_options.empty() && wants("COUNT")) {
      line += " COUNT " + std::to_string(numbers.size());
    }
    if (modseq && !numbers.empty()) line += " MODSEQ " + std::to_string(highest);
    untagged(line);
  } else {
    std::string line = "SEARCH";
    for (uint32_t n : numbers) line += ' ' + std::to_string(n);
    if (modseq && !numbers.empty()) line += " (MODSEQ " + std::to_string(highest) + ")";
    untagged(line);
  }
  ok(c, c.uid ? "UID SEARCH completed" : "SEARCH completed");
}

asio::awaitable<void> Session::do_copy(const proto::Command& c, bool move) {
  const auto& args = std::get<proto::CopyArgs>(c.args);
  if (!c.uid && !seq_in_range(args.set, box_->messages().size())) {
    bad(c, "Invalid sequence number (the mailbox has " + std::to_string(box_->messages().size()) +
               " messages)");
    co_return;
  }
  auto folder = folder_of(c, args.mailbox);
  if (!folder) co_return;
  if (move && box_->read_only()) {
    no(c, "CANNOT", "The mailbox is read-only (EXAMINE)");
    co_return;
  }
  const std::vector<uint32_t> uids = uids_of(args.set, c.uid);
  if (uids.empty()) {
    ok(c, move ? "No messages to move" : "No messages to copy");
    co_return;
  }
  auto result = co_await blocking([&] {
    return move ? boxes_->move(*box_, uids, *folder) : boxes_->copy(*box_, uids, *folder);
  });
  if (!result) {
    store_error(c, result.error(), /*target=*/true);
    co_return;
  }
  const std::string copyuid = result->source.empty()
                                  ? std::string()
                                  : "COPYUID " + std::to_string(result->uid_validity) + " " +
                                        proto::format_numbers(result->source) + " " +
                                        proto::format_numbers(result->target);
  if (!move) {
    ok(c, "COPY completed", copyuid);
    co_return;
  }
  // RFC 6851 4.3: COPYUID in an untagged OK before the expunges.
  if (!copyuid.empty()) untagged("OK [" + copyuid + "] Moved");
  conn_.write(expunged_lines(result->source));
  ok(c, "MOVE completed");
}

asio::awaitable<void> Session::do_expunge(const proto::Command& c) {
  if (box_->read_only()) {
    no(c, "CANNOT", "The mailbox is read-only (EXAMINE)");
    co_return;
  }
  const auto& args = std::get<proto::ExpungeArgs>(c.args);
  std::vector<uint32_t> only;
  if (args.set) only = uids_of(*args.set, true);
  auto gone = co_await blocking([&] { return box_->expunge(args.set ? &only : nullptr); });
  if (!gone) {
    store_error(c, gone.error());
    co_return;
  }
  conn_.write(expunged_lines(*gone));
  ok(c, c.uid ? "UID EXPUNGE completed" : "EXPUNGE completed");
}

}  // namespace hm::imap
