#include "store/memory/memory_mailbox.h"

#include <algorithm>

#include "base/strings.h"
#include "store/view_rules.h"

namespace hm::store::memory {

namespace {

Status gone() { return fail(ErrorKind::kNotFound, "the folder was deleted"); }

bool cacheable(CacheKey key) {
  return key == "envelope" || key == "bodystructure" || key == "body" ||
         (key.size() > 7 && key.substr(0, 7) == "header:");
}

// The sorted, unique `uids`.
std::vector<uint32_t> sorted(std::vector<uint32_t> uids) {
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  return uids;
}

}  // namespace

MemoryMailbox::MemoryMailbox(std::shared_ptr<MemoryAccount> account,
                             std::shared_ptr<MemFolder> folder, bool read_only,
                             const std::unique_lock<std::mutex>& /*lock*/)
    : account_(std::move(account)),
      folder_(std::move(folder)),
      read_only_(read_only),
      uid_validity_(folder_->uid_validity) {
  // The first sync of an empty view cannot fail: the folder was found
  // under the same lock.
  (void)sync_locked();
}

MailboxStatus MemoryMailbox::status() const {
  MailboxStatus s;
  s.uid_validity = uid_validity_;
  s.uid_next = seen_uid_next_;
  s.highest_modseq = seen_modseq_;
  return count_view(view_, s);
}

std::optional<size_t> MemoryMailbox::find(uint32_t uid) const { return find_in_view(view_, uid); }

Result<MailboxChanges> MemoryMailbox::sync() {
  std::lock_guard lock(account_->state().mutex);
  HM_TRY(account_->state().usable());
  return sync_locked();
}

Result<MailboxChanges> MemoryMailbox::sync_locked() {
  const MemFolder& folder = *folder_;
  if (folder.removed) return fail(gone().error());
  MailboxChanges changes;
  if (folder.highest_modseq != seen_modseq_) {
    std::vector<MessageMeta> view;
    view.reserve(folder.messages.size());
    for (MessageMeta& m : view_) {
      auto it = folder.messages.find(m.uid);
      if (it == folder.messages.end()) {
        changes.expunged.push_back(m.uid);
        continue;
      }
      const MessageMeta& now = it->second.meta;
      if (now.modseq != m.modseq) {
        m.flags = now.flags;
        m.keywords = now.keywords;
        m.modseq = now.modseq;
        changes.changed.push_back(m.uid);
      }
      view.push_back(m);
    }
    for (auto it = folder.messages.lower_bound(seen_uid_next_); it != folder.messages.end(); ++it) {
      MessageMeta m = it->second.meta;
      m.recent = !read_only_ && m.uid >= folder.recent_floor;
      view.push_back(m);
      ++changes.added;
    }
    view_ = std::move(view);
    if (!read_only_) folder_->recent_floor = std::max(folder.recent_floor, folder.uid_next);
    seen_uid_next_ = folder.uid_next;
    seen_modseq_ = folder.highest_modseq;
  }
  // Keywords may be added without a message changing (an APPEND refused
  // after its keywords were taken in).
  if (folder.keywords.size() != keywords_.size()) keywords_ = folder.keywords;
  changes.keywords_changed = keywords_.size() > keywords_at_sync_;
  keywords_at_sync_ = keywords_.size();
  return changes;
}

Result<std::string> MemoryMailbox::read(uint32_t uid) {
  std::lock_guard lock(account_->state().mutex);
  HM_TRY(account_->state().usable());
  if (folder_->removed) return fail(gone().error());
  auto it = folder_->messages.find(uid);
  if (it == folder_->messages.end()) {
    return fail(ErrorKind::kNotFound, "the message was expunged");
  }
  return *it->second.text;
}

std::optional<std::string> MemoryMailbox::cached(uint32_t uid, CacheKey key) {
  std::lock_guard lock(account_->state().mutex);
  if (!account_->state().usable()) return std::nullopt;
  auto it = folder_->cache.find(uid);
  if (it == folder_->cache.end()) return std::nullopt;
  auto value = it->second.find(key);
  if (value == it->second.end()) return std::nullopt;
  return value->second;
}

void MemoryMailbox::cache(uint32_t uid, CacheKey key, std::string value) {
  if (!cacheable(key) || value.size() > kMaxCachedValue) return;
  std::lock_guard lock(account_->state().mutex);
  if (!account_->state().usable() || folder_->removed || !folder_->messages.contains(uid)) return;
  auto& values = folder_->cache[uid];
  auto it = values.find(key);
  if (it == values.end()) {
    values.emplace(std::string(key), std::move(value));
  } else {
    it->second = std::move(value);
  }
}

bool MemoryMailbox::caught_up() const { return folder_->highest_modseq == seen_modseq_; }

void MemoryMailbox::drop(const std::vector<uint32_t>& uids, bool caught_up) {
  std::erase_if(view_, [&](const MessageMeta& m) {
    return std::binary_search(uids.begin(), uids.end(), m.uid);
  });
  if (caught_up) seen_modseq_ = folder_->highest_modseq;
}

Result<FlagResult> MemoryMailbox::set_flags(const std::vector<uint32_t>& uids,
                                            const FlagChange& change) {
  if (read_only_) return fail(ErrorKind::kInvalid, "the mailbox is open read-only");
  HM_TRY(check_flags(change.flags));
  std::lock_guard lock(account_->state().mutex);
  HM_TRY(account_->state().usable());
  MemFolder& folder = *folder_;
  if (folder.removed) return fail(gone().error());

  KeywordMask mask = 0;
  if (change.mode == FlagChange::Mode::kRemove) {
    // Removing a keyword the folder never had changes nothing: not added.
    for (const std::string& name : change.keywords) {
      for (size_t i = 0; i < folder.keywords.size(); ++i) {
        if (iequals(folder.keywords[i], name)) mask |= KeywordMask{1} << i;
      }
    }
  } else {
    auto got = keyword_mask(folder, change.keywords);
    if (!got) return fail(got.error());
    mask = *got;
  }

  const bool was_caught_up = caught_up();
  uint64_t modseq = 0;  // one new MODSEQ for all messages changed here
  FlagResult result;
  for (uint32_t uid : sorted(uids)) {
    auto pos = find(uid);
    if (!pos) continue;
    auto it = folder.messages.find(uid);
    if (it == folder.messages.end()) continue;  // expunged by another; the view learns at sync
    MessageMeta& meta = it->second.meta;
    if (change.unchanged_since && meta.modseq > *change.unchanged_since) {
      result.failed.push_back(uid);
      continue;
    }
    const MessageFlags was{meta.flags, meta.keywords};
    const MessageFlags now = apply_flag_change(change.mode, change.flags, mask, was);
    if (now == was) continue;
    if (modseq == 0) modseq = ++folder.highest_modseq;
    meta.flags = now.flags;
    meta.keywords = now.keywords;
    meta.modseq = modseq;
    MessageMeta& mine = view_[*pos];
    mine.flags = now.flags;
    mine.keywords = now.keywords;
    mine.modseq = modseq;
    result.changed.push_back(uid);
  }
  if (was_caught_up) seen_modseq_ = folder.highest_modseq;
  keywords_ = folder.keywords;
  return result;
}

Result<std::vector<uint32_t>> MemoryMailbox::expunge(const std::vector<uint32_t>* uids) {
  if (read_only_) return fail(ErrorKind::kInvalid, "the mailbox is open read-only");
  std::vector<uint32_t> only;
  if (uids != nullptr) only = sorted(*uids);
  std::lock_guard lock(account_->state().mutex);
  HM_TRY(account_->state().usable());
  MemFolder& folder = *folder_;
  if (folder.removed) return fail(gone().error());
  std::vector<uint32_t> doomed;
  for (const MessageMeta& m : view_) {
    if (uids != nullptr && !std::binary_search(only.begin(), only.end(), m.uid)) continue;
    auto it = folder.messages.find(m.uid);
    if (it != folder.messages.end() && (it->second.meta.flags & kFlagDeleted) != 0) {
      doomed.push_back(m.uid);
    }
  }
  const bool was_caught_up = caught_up();
  remove_messages(account_->state(), folder, doomed);
  drop(doomed, was_caught_up);
  return doomed;
}

Result<std::vector<uint32_t>> MemoryMailbox::expunged_since(uint64_t modseq) {
  std::lock_guard lock(account_->state().mutex);
  HM_TRY(account_->state().usable());
  const MemFolder& folder = *folder_;
  if (folder.removed) return fail(gone().error());
  std::vector<uint32_t> out;
  if (modseq < folder.expunge_floor) {
    // The record no longer goes back that far: every UID the view could
    // have known and does not hold (mailbox.h allows it).
    size_t pos = 0;
    for (uint32_t uid = 1; uid < seen_uid_next_; ++uid) {
      if (pos < view_.size() && view_[pos].uid == uid) {
        ++pos;
      } else {
        out.push_back(uid);
      }
    }
    return out;
  }
  for (const auto& [when, uid] : folder.expunged) {
    // Only UIDs the view knows as gone: one still in it is announced at
    // its next sync, one added after its sync it never knew.
    if (when > modseq && uid < seen_uid_next_ && !find(uid)) out.push_back(uid);
  }
  return sorted(std::move(out));
}

}  // namespace hm::store::memory
