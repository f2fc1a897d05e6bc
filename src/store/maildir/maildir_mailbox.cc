#include "store/maildir/maildir_mailbox.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/log.h"
#include "base/sys_error.h"
#include "store/maildir/maildir_name.h"
#include "store/maildir/maildir_quota.h"
#include "store/view_rules.h"

namespace hm::store::maildir {

namespace {

// Flag bit <-> info letter; P (passed) has no bit and is kept as it is.
constexpr std::pair<uint8_t, char> kLetters[] = {
    {kFlagDraft, 'D'}, {kFlagFlagged, 'F'}, {kFlagAnswered, 'R'},
    {kFlagSeen, 'S'},  {kFlagDeleted, 'T'},
};
constexpr uint8_t kAllFlags = kFlagSeen | kFlagAnswered | kFlagFlagged | kFlagDeleted | kFlagDraft;

std::string keyword_letters(KeywordMask mask) {
  std::string out;
  for (size_t i = 0; i < kMaxKeywordLetters; ++i) {
    if (mask & (KeywordMask{1} << i)) out += static_cast<char>('a' + i);
  }
  return out;
}

// Whether `text` holds the empty line that ends a header (a line of
// nothing or of "\r", as mime::header_end finds it), looking from `from`.
bool has_header_end(std::string_view text, size_t from) {
  if (text.starts_with("\n") || text.starts_with("\r\n")) return true;
  from = from < 2 ? 0 : from - 2;  // the end may straddle two reads
  return text.find("\n\n", from) != std::string_view::npos ||
         text.find("\n\r\n", from) != std::string_view::npos;
}

// The file's text; with `header_only`, reads stop once the header's end is
// in (Mailbox::read_header).
Result<std::string> read_all(int fd, const std::string& shown, bool header_only) {
  std::string text;
  struct stat st {};
  if (!header_only && ::fstat(fd, &st) == 0 && st.st_size > 0) {
    text.reserve(static_cast<size_t>(st.st_size));
  }
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(sys_error(errno, "read", shown));
    if (n == 0) break;
    const size_t before = text.size();
    text.append(buf, static_cast<size_t>(n));
    if (header_only && has_header_end(text, before)) break;
  }
  return text;
}

}  // namespace

std::string flag_letters(uint8_t flags) {
  std::string out;
  for (const auto& [bit, letter] : kLetters) {
    if (flags & bit) out += letter;
  }
  return out;
}

uint8_t flags_of_letters(std::string_view letters) {
  uint8_t out = 0;
  for (char c : letters) {
    for (const auto& [bit, letter] : kLetters) {
      if (c == letter) out |= bit;
    }
  }
  return out;
}

KeywordMask keywords_of_letters(std::string_view letters) {
  KeywordMask out = 0;
  for (char c : letters) {
    if (c >= 'a' && c <= 'z') out |= KeywordMask{1} << (c - 'a');
  }
  return out;
}

MaildirMailbox::MaildirMailbox(std::shared_ptr<const MaildirAccount> account,
                               std::unique_ptr<MaildirFolder> f, bool read_only)
    : account_(std::move(account)), folder_(std::move(f)), read_only_(read_only) {}

MaildirMailbox::~MaildirMailbox() {
  if (!index_) return;
  AsOwner as(*account_);
  // A cache: a value not written is asked for again, so a failure is only
  // logged.
  if (Status s = index_->flush(); !s) {
    log::warning("values for the index of {} were not written: {}", folder_->path(),
                 s.error().describe());
  }
  index_.reset();  // the last holder's release writes as the owner too
}

Result<std::unique_ptr<MaildirMailbox>> MaildirMailbox::open(
    std::shared_ptr<const MaildirAccount> account, const std::string& path, bool read_only) {
  FolderOptions o;
  o.fsync = account->fsync;
  o.lock_timeout = account->lock_timeout;
  auto folder = MaildirFolder::open(path, o);
  if (!folder) return fail(folder.error());
  std::unique_ptr<MaildirMailbox> box(
      new MaildirMailbox(std::move(account), std::move(*folder), read_only));
  // The first view: everything is "added" to an empty view.
  box->pending_ = true;
  auto first = box->sync();
  if (!first) return fail(first.error());
  return box;
}

MailboxStatus MaildirMailbox::status() const {
  MailboxStatus s;
  s.uid_validity = uid_validity_;
  s.uid_next = uid_next_;
  s.highest_modseq = highest_modseq_;
  return count_view(view_, s);
}

std::optional<size_t> MaildirMailbox::find(uint32_t uid) const { return find_in_view(view_, uid); }

bool MaildirMailbox::claimed(uint32_t uid) const {
  for (const auto& [after, last] : claims_) {
    if (uid > after && uid <= last) return true;
  }
  return false;
}

MessageMeta MaildirMailbox::meta_of(const MessageInfo& m) {
  MessageMeta meta;
  meta.uid = m.uid;
  meta.modseq = m.modseq;
  meta.flags = flags_of_letters(m.flags);
  meta.keywords = keywords_of_letters(m.flags);
  meta.internal_date = m.internal_date;
  if (m.wire_size) {
    meta.size = *m.wire_size;
  } else if (auto known = wire_sizes_.find(m.uid); known != wire_sizes_.end()) {
    meta.size = known->second;
  } else if (auto facts = index_ ? index_->file_facts(m.uid, m.base) : std::nullopt) {
    meta.size = facts->wire_size;
    wire_sizes_[m.uid] = facts->wire_size;
  } else if (auto text = read_file(m.uid, false)) {
    // Another tool's file: its size with CRLF is counted once, and kept
    // in the index for the next sessions.
    uint64_t size = text->size();
    for (char c : *text) size += c == '\n';
    wire_sizes_[m.uid] = size;
    meta.size = size;
    if (index_) index_->put_file_facts(m.uid, m.base, FileFacts{size, m.internal_date});
  }
  return meta;
}

Result<bool> MaildirMailbox::refresh_keywords() {
  struct stat st {};
  if (::fstatat(folder_->root_fd(), kKeywordsName, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT)
      return fail(sys_error(errno, "inspect", folder_->path() + "/" + kKeywordsName));
    st = {};
  }
  if (keywords_stat_known_ && st.st_ino == keywords_stat_.st_ino &&
      st.st_size == keywords_stat_.st_size && st.st_mtim.tv_sec == keywords_stat_.st_mtim.tv_sec &&
      st.st_mtim.tv_nsec == keywords_stat_.st_mtim.tv_nsec) {
    return false;
  }
  auto names = read_keywords(folder_->root_fd(), folder_->path());
  if (!names) return fail(names.error());
  keywords_stat_ = st;
  keywords_stat_known_ = true;
  // Names only grow in a view: a letter keeps its name (another tool that
  // renames one is not followed until the mailbox is opened again).
  bool grew = false;
  for (size_t i = 0; i < names->size(); ++i) {
    if (i >= keywords_.size()) keywords_.emplace_back();
    if (keywords_[i].empty() && !(*names)[i].empty()) {
      keywords_[i] = (*names)[i];
      grew = true;
    }
  }
  return grew;
}

Result<MailboxChanges> MaildirMailbox::sync() {
  AsOwner as(*account_);
  MailboxChanges changes;
  auto moved = folder_->sync(!read_only_);
  if (!moved) return fail(moved.error());
  if (auto claim = folder_->last_claim()) claims_.push_back(*claim);
  auto grew = refresh_keywords();
  if (!grew) return fail(grew.error());
  changes.keywords_changed = *grew;
  if (!*moved && !pending_) return changes;
  pending_ = false;
  if (!index_ || index_validity_ != folder_->uid_validity()) {
    IndexOptions o;
    o.lock_timeout = account_->lock_timeout;
    o.flush_at = account_->cache_bytes;
    index_ = SharedIndex::acquire(folder_->root_fd(), folder_->path(), folder_->uid_validity(), o);
    index_validity_ = folder_->uid_validity();
  }

  const std::vector<MessageInfo>& now = folder_->messages();
  std::vector<MessageMeta> next;
  next.reserve(now.size());
  if (folder_->uid_validity() != uid_validity_ && !view_.empty()) {
    // A new UIDVALIDITY (the list was rebuilt): every message is another.
    for (const MessageMeta& m : view_) changes.expunged.push_back(m.uid);
    view_.clear();
  }
  size_t old = 0;
  for (const MessageInfo& m : now) {
    while (old < view_.size() && view_[old].uid < m.uid)
      changes.expunged.push_back(view_[old++].uid);
    if (old < view_.size() && view_[old].uid == m.uid) {
      MessageMeta meta = view_[old++];
      const uint8_t flags = flags_of_letters(m.flags);
      const KeywordMask keywords = keywords_of_letters(m.flags);
      if (meta.modseq != m.modseq || meta.flags != flags || meta.keywords != keywords) {
        meta.modseq = m.modseq;
        meta.flags = flags;
        meta.keywords = keywords;
        changes.changed.push_back(m.uid);
      }
      next.push_back(meta);
      continue;
    }
    MessageMeta meta = meta_of(m);
    meta.recent = !read_only_ && claimed(m.uid);
    next.push_back(meta);
    ++changes.added;
  }
  while (old < view_.size()) changes.expunged.push_back(view_[old++].uid);
  for (uint32_t uid : changes.expunged) wire_sizes_.erase(uid);
  if (index_ && !changes.expunged.empty()) index_->forget(changes.expunged);
  view_ = std::move(next);
  uid_validity_ = folder_->uid_validity();
  uid_next_ = static_cast<uint32_t>(std::min<uint64_t>(folder_->uid_next(), kMaxUid));
  highest_modseq_ = folder_->highest_modseq();
  return changes;
}

Result<std::string> MaildirMailbox::read(uint32_t uid) {
  AsOwner as(*account_);
  if (!find(uid)) {
    return fail(ErrorKind::kNotFound, fmt::format("no message with UID {} in the view", uid));
  }
  return read_file(uid, false);
}

Result<std::string> MaildirMailbox::read_header(uint32_t uid) {
  AsOwner as(*account_);
  if (!find(uid)) {
    return fail(ErrorKind::kNotFound, fmt::format("no message with UID {} in the view", uid));
  }
  return read_file(uid, true);
}

Result<std::string> MaildirMailbox::read_file(uint32_t uid, bool header_only) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto where = folder_->locate(uid);
    if (!where) break;
    auto fd =
        fs::open_regular(where->dir_fd, where->name, folder_->path() + "/" + where->name, O_RDONLY);
    if (fd) return read_all(fd->get(), folder_->path() + "/" + where->name, header_only);
    if (fd.error().kind() != ErrorKind::kNotFound) return fail(fd.error());
    // Renamed (flags set elsewhere) or expunged: the folder lists its files
    // again (its mtimes may not show a rename the list was trusted over);
    // the view stays as it is until its owner syncs.
    auto synced = folder_->sync(false, true);
    if (!synced) return fail(synced.error());
    pending_ = true;
  }
  return fail(ErrorKind::kNotFound, fmt::format("message {} was expunged", uid));
}

Result<uint64_t> MaildirMailbox::stored_size(uint32_t uid) const {
  const MessageInfo* m = folder_->find(uid);
  if (m && m->size) return *m->size;
  auto where = folder_->locate(uid);
  if (!where) return fail(where.error());
  struct stat st {};
  if (::fstatat(where->dir_fd, where->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail(
        sys_error(errno, "inspect", folder_->path() + "/" + where->name, ErrorKind::kNotFound));
  }
  return static_cast<uint64_t>(st.st_size);
}

std::optional<std::string> MaildirMailbox::cached(uint32_t uid, CacheKey key) {
  const MessageInfo* m = folder_->find(uid);
  if (!index_ || !m) return std::nullopt;
  return index_->get(uid, m->base, key);
}

void MaildirMailbox::cache(uint32_t uid, CacheKey key, std::string value) {
  const MessageInfo* m = folder_->find(uid);
  if (!index_ || !m) return;
  AsOwner as(*account_);  // a put may write the index
  index_->put(uid, m->base, key, value);
}

Result<FlagResult> MaildirMailbox::set_flags(const std::vector<uint32_t>& uids,
                                             const FlagChange& change) {
  AsOwner as(*account_);
  if (read_only_) return fail(ErrorKind::kInvalid, "the mailbox is open read-only");
  if (change.flags & ~kAllFlags) return fail(ErrorKind::kInvalid, "unknown flag bits");
  for (const std::string& k : change.keywords) HM_TRY(check_keyword(k));
  std::vector<uint32_t> wanted;
  for (uint32_t uid : uids) {
    if (find(uid)) wanted.push_back(uid);
  }
  FlagResult result;
  if (wanted.empty()) return result;

  KeywordMask mask = 0;
  auto prepare = [&]() -> Status {
    // Under the folder's lock: the names as on disk, new ones added.
    auto names = read_keywords(folder_->root_fd(), folder_->path());
    if (!names) return fail(names.error());
    const size_t before = format_keywords(*names).size();
    for (const std::string& k : change.keywords) {
      auto index = keyword_index(*names, k, change.mode != FlagChange::Mode::kRemove);
      if (!index) return fail(index.error());
      if (*index) mask |= KeywordMask{1} << **index;
    }
    if (format_keywords(*names).size() != before) {
      HM_TRY(write_keywords(folder_->root_fd(), *names, folder_->path(), account_->fsync));
    }
    return ok();
  };
  auto decide = [&](const UidEntry& e) -> std::optional<std::string> {
    if (change.unchanged_since && e.modseq > *change.unchanged_since) {
      result.failed.push_back(e.uid);
      return std::nullopt;
    }
    const MessageFlags now{flags_of_letters(e.flags), keywords_of_letters(e.flags)};
    const MessageFlags next = apply_flag_change(change.mode, change.flags, mask, now);
    std::string letters = flag_letters(next.flags) + keyword_letters(next.keywords);
    if (e.flags.find('P') != std::string::npos) letters += 'P';
    letters = normalize_flags(letters);
    if (letters == e.flags) return std::nullopt;
    return letters;
  };
  auto changed = folder_->update_flags(wanted, prepare, decide);
  pending_ = true;
  if (!changed) return fail(changed.error());
  auto grew = refresh_keywords();
  if (!grew) return fail(grew.error());
  // (A retry after another tool renamed a file may ask twice.)
  std::sort(result.failed.begin(), result.failed.end());
  result.failed.erase(std::unique(result.failed.begin(), result.failed.end()), result.failed.end());
  result.changed = std::move(*changed);
  for (uint32_t uid : result.changed) {
    const MessageInfo* m = folder_->find(uid);
    auto at = find(uid);
    if (!m || !at) continue;
    MessageMeta& meta = view_[*at];
    meta.flags = flags_of_letters(m->flags);
    meta.keywords = keywords_of_letters(m->flags);
    meta.modseq = m->modseq;
    highest_modseq_ = std::max(highest_modseq_, m->modseq);
  }
  return result;
}

Result<std::vector<uint32_t>> MaildirMailbox::remove_where(const std::vector<uint32_t>* uids,
                                                           bool deleted_only) {
  if (read_only_) return fail(ErrorKind::kInvalid, "the mailbox is open read-only");
  // Sizes for the quota, taken before the files go.
  std::unordered_map<uint32_t, uint64_t> sizes;
  if (account_->quota_bytes > 0) {
    for (const MessageMeta& m : view_) {
      if (uids && !std::binary_search(uids->begin(), uids->end(), m.uid)) continue;
      if (deleted_only && !(m.flags & kFlagDeleted)) continue;
      if (auto size = stored_size(m.uid)) sizes[m.uid] = *size;
    }
  }
  auto removed = folder_->expunge(uids, [&](const UidEntry& e) {
    if (!find(e.uid)) return false;  // not in the view: its owner has not seen it
    return !deleted_only || e.flags.find('T') != std::string::npos;
  });
  pending_ = true;
  if (!removed) return fail(removed.error());
  int64_t bytes = 0;
  if (index_) index_->forget(*removed);
  for (uint32_t uid : *removed) {
    wire_sizes_.erase(uid);
    if (auto it = sizes.find(uid); it != sizes.end()) bytes += static_cast<int64_t>(it->second);
  }
  // One pass: `removed` is ascending, as the view.
  auto gone = removed->begin();
  std::erase_if(view_, [&](const MessageMeta& m) {
    while (gone != removed->end() && *gone < m.uid) ++gone;
    return gone != removed->end() && *gone == m.uid;
  });
  if (!removed->empty()) highest_modseq_ = std::max(highest_modseq_, folder_->highest_modseq());
  if (account_->quota_bytes > 0 && !removed->empty()) {
    // Maildir++ counts approximately: a failure here is corrected by the
    // next recount, never worth failing the expunge for.
    (void)record_quota_change(account_->root, -bytes, -static_cast<int64_t>(removed->size()),
                              account_->quota_bytes, account_->uid, account_->gid);
  }
  return removed;
}

Result<std::vector<uint32_t>> MaildirMailbox::expunge(const std::vector<uint32_t>* uids) {
  AsOwner as(*account_);
  if (!uids) return remove_where(nullptr, true);
  std::vector<uint32_t> sorted = *uids;
  std::sort(sorted.begin(), sorted.end());
  return remove_where(&sorted, true);
}

Result<std::vector<uint32_t>> MaildirMailbox::remove(const std::vector<uint32_t>& uids) {
  AsOwner as(*account_);
  std::vector<uint32_t> sorted = uids;
  std::sort(sorted.begin(), sorted.end());
  return remove_where(&sorted, false);
}

Result<std::vector<uint32_t>> MaildirMailbox::expunged_since(uint64_t modseq) {
  std::vector<uint32_t> out;
  if (auto recorded = expunged_after(folder_->list(), modseq)) {
    // Those still in the view are announced by the owner's next sync.
    for (uint32_t uid : *recorded) {
      if (!find(uid)) out.push_back(uid);
    }
    return out;
  }
  // The record does not go back that far: every UID below UIDNEXT that is
  // not in the view (RFC 7162 allows it).
  size_t at = 0;
  for (uint32_t uid = 1; uid < uid_next_; ++uid) {
    while (at < view_.size() && view_[at].uid < uid) ++at;
    if (at < view_.size() && view_[at].uid == uid) continue;
    out.push_back(uid);
  }
  return out;
}

}  // namespace hm::store::maildir
