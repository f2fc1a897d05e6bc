#include "store/maildir/maildir_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <tuple>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/folder_fd.h"
#include "base/log.h"
#include "base/sys_error.h"
#include "store/maildir/foreign_uid_list.h"
#include "store/maildir/maildir_name.h"

namespace hm::store::maildir {

namespace {

// A folder's mtime is trusted to show a change only when it is this much
// older than the moment it was read: a change within the same tick of the
// file system's clock (or, on NFS, of another host's) would not move it.
constexpr int64_t kSettleSeconds = 2;

bool same_time(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

int64_t now_seconds() { return static_cast<int64_t>(::time(nullptr)); }

// A fresh UIDVALIDITY: the time, as Courier and Dovecot do, so a folder
// deleted and created again gets another value; above `above` (the value a
// damaged list may have had).
uint32_t new_uid_validity(int64_t above) {
  int64_t value = std::max(now_seconds(), above + 1);
  return value > 0 && value <= static_cast<int64_t>(kMaxUid) ? static_cast<uint32_t>(value) : 1;
}

int64_t mtime_of(int dir_fd, const std::string& name) {
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec);
}

int64_t nanoseconds(const timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

}  // namespace

bool list_is_settled(const UidList& list, const timespec& new_mtime, const timespec& cur_mtime,
                     int64_t now) {
  return list.folder_times && list.folder_times->new_ns == nanoseconds(new_mtime) &&
         list.folder_times->cur_ns == nanoseconds(cur_mtime) &&
         now - std::max(new_mtime.tv_sec, cur_mtime.tv_sec) >= kSettleSeconds;
}

bool MaildirFolder::Stamps::operator==(const Stamps& o) const {
  return same_time(new_mtime, o.new_mtime) && same_time(cur_mtime, o.cur_mtime) &&
         same_time(list_mtime, o.list_mtime) && list_ino == o.list_ino && list_size == o.list_size;
}

MaildirFolder::MaildirFolder(std::string path, FolderOptions options)
    : path_(std::move(path)), options_(options) {}

MaildirFolder::~MaildirFolder() = default;

Result<std::unique_ptr<MaildirFolder>> MaildirFolder::open(const std::string& path,
                                                           FolderOptions options) {
  std::string shown = path;
  while (shown.size() > 1 && shown.back() == '/') shown.pop_back();
  std::unique_ptr<MaildirFolder> folder(new MaildirFolder(shown, options));
  auto root = open_folder_nofollow(AT_FDCWD, shown, shown);
  if (!root) return fail(root.error());
  folder->root_ = std::move(*root);
  auto new_dir = open_folder_nofollow(folder->root_.get(), "new", shown + "/new");
  if (!new_dir) return fail(new_dir.error());
  folder->new_ = std::move(*new_dir);
  auto cur_dir = open_folder_nofollow(folder->root_.get(), "cur", shown + "/cur");
  if (!cur_dir) return fail(cur_dir.error());
  folder->cur_ = std::move(*cur_dir);
  // The lock file is created once and stays: removing it while another
  // process waits on it would let two processes hold "the" lock.
  int lock_fd = fs::file_system().open(folder->root_.get(), kUidLockName,
                                       O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (lock_fd < 0) return fail(sys_error(errno, "open the lock file of", shown));
  folder->lock_file_.reset(lock_fd);
  HM_TRY(folder->sync());
  return folder;
}

Result<FileLock> MaildirFolder::lock() const {
  auto locked = FileLock::take(lock_file_.get(), options_.lock_timeout, path_ + "/" + kUidLockName);
  if (!locked && locked.error().kind() == ErrorKind::kTemporary) {
    return fail(ErrorKind::kTemporary, locked.error().message(),
                "another session or process is updating this folder; try again");
  }
  return locked;
}
Result<MaildirFolder::Stamps> MaildirFolder::take_stamps() const {
  Stamps s;
  struct stat st {};
  if (::fstat(new_.get(), &st) != 0) return fail(sys_error(errno, "inspect", path_ + "/new"));
  s.new_mtime = st.st_mtim;
  if (::fstat(cur_.get(), &st) != 0) return fail(sys_error(errno, "inspect", path_ + "/cur"));
  s.cur_mtime = st.st_mtim;
  if (::fstatat(root_.get(), kUidListName, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    s.list_mtime = st.st_mtim;
    s.list_ino = st.st_ino;
    s.list_size = st.st_size;
  } else if (errno != ENOENT) {
    return fail(sys_error(errno, "inspect", path_ + "/" + kUidListName));
  }
  return s;
}

bool MaildirFolder::names_follow_list(const UidList& list,
                                      const std::unordered_map<std::string, Seen>& now) {
  std::string name;
  for (const UidEntry& e : list.entries) {
    auto it = now.find(e.base);
    if (it == now.end()) return false;
    const Seen& seen = it->second;
    if (!seen.in_cur) {
      if (!e.flags.empty() || seen.name != e.base) return false;
      continue;
    }
    // A flagless message in cur/ is found by locate()'s second look.
    name = e.base;
    name += ":2,";
    name += e.flags;
    if (seen.name != name) return false;
  }
  return true;
}

bool MaildirFolder::claim(UidList& list) {
  if (list.recent_uid + uint64_t{1} >= list.uid_next) return false;
  last_claim_.emplace(list.recent_uid, static_cast<uint32_t>(list.uid_next - 1));
  list.recent_uid = last_claim_->second;
  return true;
}

bool MaildirFolder::moves(const UidList& list, bool changed) const {
  return changed || list.uid_validity != list_.uid_validity || list.uid_next != list_.uid_next ||
         list.highest_modseq != list_.highest_modseq || list.entries.size() != list_.entries.size();
}

Result<bool> MaildirFolder::sync(bool claim_recent, bool relist) {
  last_claim_.reset();
  auto before = take_stamps();
  if (!before) return fail(before.error());
  const bool to_claim = claim_recent && list_.recent_uid + uint64_t{1} < list_.uid_next;
  if (!relist && stamps_ && *stamps_ == *before && !to_claim) return false;
  if (!relist && !synced_) {
    auto trusted = sync_from_list(claim_recent, *before);
    if (!trusted) return fail(trusted.error());
    if (*trusted) {
      synced_ = true;
      return **trusted;
    }
  }

  auto locked = lock();
  if (!locked) return fail(locked.error());
  // Taken again under the lock and before the folders are listed: a change
  // made while they are listed moves an mtime past these, so the next sync
  // looks again.
  auto stamps = take_stamps();
  if (!stamps) return fail(stamps.error());
  const int64_t looked_at = now_seconds();

  // Worked on as a copy: what this folder tells its user (uid_next(),
  // messages()) changes only once the list on disk says the same.
  stamps_.reset();
  UidList list;
  std::unordered_map<std::string, Seen> seen;
  bool changed = false;
  HM_TRY(sync_locked(list, seen, changed));
  if (claim_recent && claim(list)) changed = true;
  // Settled folders: their mtimes go into the list, so that the next open
  // need not list them (list_is_settled).
  const int64_t newest = std::max(stamps->new_mtime.tv_sec, stamps->cur_mtime.tv_sec);
  const bool settled = looked_at - newest >= kSettleSeconds;
  std::optional<UidList::FolderTimes> times;
  if (settled && names_follow_list(list, seen)) {
    times = UidList::FolderTimes{nanoseconds(stamps->new_mtime), nanoseconds(stamps->cur_mtime)};
  }
  if (list.folder_times != times) {
    list.folder_times = times;
    changed = true;
  }
  if (changed) HM_TRY(write_list(list));
  const bool moved = moves(list, changed);
  install(std::move(list), seen);
  synced_ = true;

  // Remember the stamps, with the list's after our own write, unless a
  // folder changed too recently for its mtime to be trusted.
  auto after = take_stamps();
  if (!after) return fail(after.error());
  if (settled) {
    after->new_mtime = stamps->new_mtime;
    after->cur_mtime = stamps->cur_mtime;
    stamps_ = *after;
  }
  return moved;
}

Result<std::optional<bool>> MaildirFolder::sync_from_list(bool claim_recent, const Stamps& before) {
  const std::optional<bool> untrusted;
  if (now_seconds() - std::max(before.new_mtime.tv_sec, before.cur_mtime.tv_sec) < kSettleSeconds) {
    return untrusted;  // changed too recently for any list to be trusted
  }
  // Replaced atomically by its writers: read without the lock.
  auto read = read_uid_list(root_.get(), path_);
  if (!read || !*read) return untrusted;  // missing or damaged: the full sync deals with it
  UidList list = std::move(**read);
  if (!list_is_settled(list, before.new_mtime, before.cur_mtime, now_seconds())) return untrusted;
  bool claimed = false;
  if (claim_recent && list.recent_uid + uint64_t{1} < list.uid_next) {
    // The claim changes the list: under the lock, from the list as it is
    // now, which must still be settled.
    auto locked = lock();
    if (!locked) return fail(locked.error());
    auto again = read_uid_list(root_.get(), path_);
    auto now = take_stamps();
    if (!again || !*again || !now) return untrusted;
    list = std::move(**again);
    if (!list_is_settled(list, now->new_mtime, now->cur_mtime, now_seconds())) return untrusted;
    claim(list);
    HM_TRY(write_list(list));
    claimed = true;
  }
  // The stamps of the list read (or written) here: a list replaced since
  // `before` (read without the lock) may be another than the one read, so
  // the folder is then listed.
  auto after = take_stamps();
  if (!after) return fail(after.error());
  if (!claimed && !(*after == before)) return untrusted;
  after->new_mtime = before.new_mtime;
  after->cur_mtime = before.cur_mtime;
  const bool moved = moves(list, claimed);
  list_ = std::move(list);
  placed_.clear();
  placed_.reserve(list_.entries.size());
  for (const UidEntry& e : list_.entries) {
    Placed p;
    p.guessed = true;
    p.in_cur = !e.flags.empty();
    if (p.in_cur) p.info = ":2," + e.flags;
    if (auto time = delivery_time_in_name(e.base)) {
      p.internal_date = time->seconds;
    } else {
      p.dated_by_mtime = true;
      p.internal_date = mtime_of(p.in_cur ? cur_.get() : new_.get(), e.base + p.info);
    }
    placed_.push_back(std::move(p));
  }
  rebuild_messages();
  stamps_ = *after;
  return std::optional<bool>(moved);
}

Status MaildirFolder::sync_locked(UidList& list, std::unordered_map<std::string, Seen>& now,
                                  bool& changed, const std::vector<std::string>* ours) const {
  // The list as on disk: another process may have written it since.
  auto read = read_uid_list(root_.get(), path_);
  if (read && *read) {
    list = std::move(**read);
  } else {
    if (!read) {
      // Damaged: the UIDs it held cannot be trusted, so the folder starts
      // over under a new UIDVALIDITY (clients then fetch it again).
      if (read.error().kind() != ErrorKind::kInvalid) return fail(read.error());
      log::warning("{}; its messages get new UIDs under a new UIDVALIDITY", read.error().message());
    }
    // The first open of a folder another server kept (no list of ours,
    // not damaged, not lost while open here) takes its UIDs.
    std::optional<ImportedList> imported;
    if (read && list_.uid_validity == 0) {
      auto got = import_foreign_uid_list(root_.get(), path_);
      if (!got) return fail(got.error());
      imported = std::move(*got);
    }
    if (imported) {
      list = std::move(imported->list);
    } else {
      // A damaged list's UIDVALIDITY was the time it was first written, so
      // no later than its mtime: the new one lies above both, never equal.
      int64_t above = list_.uid_validity;  // the last value this folder saw
      if (!read) above = std::max(above, mtime_of(root_.get(), kUidListName));
      UidList fresh;
      fresh.uid_validity = new_uid_validity(above);
      list = std::move(fresh);
    }
    changed = true;
  }

  // Dates that came from an mtime are kept (no stat again); those in a
  // name are read from it.
  std::unordered_map<std::string_view, int64_t> mtime_dates;
  for (size_t i = 0; i < placed_.size(); ++i) {
    if (placed_[i].dated_by_mtime) {
      mtime_dates.emplace(list_.entries[i].base, placed_[i].internal_date);
    }
  }
  // new/ first, then cur/: a file another tool moves from new/ to cur/
  // meanwhile is then seen twice (cur/ wins) instead of not at all.
  now.clear();
  for (bool in_cur : {false, true}) {
    const int fd = in_cur ? cur_.get() : new_.get();
    ++listings_;
    auto names = list_folder(fd, path_ + (in_cur ? "/cur" : "/new"));
    if (!names) return fail(names.error());
    for (std::string& file : *names) {
      auto parsed = parse_maildir_name(file);
      if (!parsed) continue;
      Seen seen{in_cur, std::move(file), 0};
      if (auto old = mtime_dates.find(parsed->base); old != mtime_dates.end()) {
        seen.internal_date = old->second;
      }
      now[parsed->base] = std::move(seen);
    }
  }

  // Entries whose files are gone were expunged by another tool; a changed
  // info means flags set elsewhere.
  std::vector<UidEntry> kept;
  kept.reserve(list.entries.size());
  std::vector<uint32_t> gone;
  for (UidEntry& e : list.entries) {
    auto it = now.find(e.base);
    if (it == now.end()) {
      gone.push_back(e.uid);
      continue;
    }
    std::string flags;
    if (auto parsed = parse_maildir_name(it->second.name)) flags = parsed->flags;
    if (flags != e.flags) {
      e.flags = std::move(flags);
      e.modseq = ++list.highest_modseq;
      changed = true;
    }
    kept.push_back(std::move(e));
  }
  // An expunge is a change too (CONDSTORE: HIGHESTMODSEQ grows with it),
  // and is recorded for QRESYNC.
  if (!gone.empty()) {
    ++list.highest_modseq;
    record_expunged(list, list.highest_modseq, gone);
    changed = true;
  }
  std::unordered_map<std::string_view, bool> listed;
  for (const UidEntry& e : kept) listed.emplace(e.base, true);

  // New files get the next UIDs in the order they were delivered.
  struct Fresh {
    DeliveryTime time;
    const std::string* base;
  };
  std::vector<Fresh> fresh;
  std::unordered_map<std::string_view, size_t> our_order;
  if (ours) {
    for (size_t i = 0; i < ours->size(); ++i) our_order.emplace((*ours)[i], i);
  }
  std::vector<const std::string*> fresh_ours(our_order.size(), nullptr);
  for (auto& [base, seen] : now) {
    if (listed.count(base)) continue;
    if (auto o = our_order.find(base); o != our_order.end()) {
      fresh_ours[o->second] = &base;
      continue;
    }
    const int fd = seen.in_cur ? cur_.get() : new_.get();
    auto time = delivery_time_in_name(base);
    if (!time) time = DeliveryTime{mtime_of(fd, seen.name), 0};
    fresh.push_back({*time, &base});
  }
  std::sort(fresh.begin(), fresh.end(), [](const Fresh& a, const Fresh& b) {
    return std::tie(a.time.seconds, a.time.micros, *a.base) <
           std::tie(b.time.seconds, b.time.micros, *b.base);
  });
  // The caller's own new files last, in its order (APPEND's order).
  for (const std::string* base : fresh_ours) {
    if (base) fresh.push_back({DeliveryTime{}, base});
  }
  if (list.uid_next + fresh.size() > kMaxUid + 1) {
    return fail(ErrorKind::kLimit,
                fmt::format("{} has used all its UIDs; move its mail into a new folder", path_));
  }
  for (const Fresh& f : fresh) {
    UidEntry e;
    e.uid = static_cast<uint32_t>(list.uid_next++);
    e.modseq = ++list.highest_modseq;
    const Seen& seen = now[*f.base];
    if (auto parsed = parse_maildir_name(seen.name)) e.flags = parsed->flags;
    e.base = *f.base;
    kept.push_back(std::move(e));
    changed = true;
  }
  list.entries = std::move(kept);

  for (auto& [base, seen] : now) {
    if (seen.internal_date != 0) continue;
    if (auto time = delivery_time_in_name(base)) {
      seen.internal_date = time->seconds;
    } else {
      seen.internal_date = mtime_of(seen.in_cur ? cur_.get() : new_.get(), seen.name);
    }
  }
  return ok();
}

Status MaildirFolder::write_list(const UidList& list) const {
  return write_uid_list(root_.get(), list, path_, options_.fsync);
}

void MaildirFolder::install(UidList&& list, std::unordered_map<std::string, Seen>& now) {
  list_ = std::move(list);
  placed_.clear();
  placed_.shrink_to_fit();
  placed_.reserve(list_.entries.size());
  for (const UidEntry& e : list_.entries) {
    Placed p;
    if (auto it = now.find(e.base); it != now.end()) {
      p.in_cur = it->second.in_cur;
      p.internal_date = it->second.internal_date;
      if (it->second.name.size() > e.base.size()) p.info = it->second.name.substr(e.base.size());
    }
    p.dated_by_mtime = !delivery_time_in_name(e.base);
    placed_.push_back(std::move(p));
  }
  now.clear();
  rebuild_messages();
}

void MaildirFolder::rebuild_messages() {
  messages_.clear();
  messages_.shrink_to_fit();
  messages_.reserve(list_.entries.size());
  for (size_t i = 0; i < list_.entries.size(); ++i) {
    const UidEntry& e = list_.entries[i];
    MessageInfo m;
    m.uid = e.uid;
    m.modseq = e.modseq;
    m.flags = e.flags;
    m.size = size_in_name(e.base);
    m.wire_size = wire_size_in_name(e.base);
    m.internal_date = placed_[i].internal_date;
    m.base = e.base;
    messages_.push_back(m);
  }
}

const MessageInfo* MaildirFolder::find(uint32_t uid) const {
  auto it = std::lower_bound(messages_.begin(), messages_.end(), uid,
                             [](const MessageInfo& m, uint32_t u) { return m.uid < u; });
  return it != messages_.end() && it->uid == uid ? &*it : nullptr;
}

std::optional<size_t> MaildirFolder::index_of(uint32_t uid) const {
  auto it = std::lower_bound(list_.entries.begin(), list_.entries.end(), uid,
                             [](const UidEntry& e, uint32_t u) { return e.uid < u; });
  if (it == list_.entries.end() || it->uid != uid) return std::nullopt;
  return static_cast<size_t>(it - list_.entries.begin());
}

Result<std::string> MaildirFolder::file_of(uint32_t uid) const {
  auto i = index_of(uid);
  if (!i) {
    return fail(ErrorKind::kNotFound, fmt::format("no message with UID {} in {}", uid, path_));
  }
  return std::string(placed_[*i].in_cur ? "cur/" : "new/") + list_.entries[*i].base +
         placed_[*i].info;
}

Result<MaildirFolder::FileRef> MaildirFolder::locate(uint32_t uid) const {
  auto i = index_of(uid);
  if (!i) {
    return fail(ErrorKind::kNotFound, fmt::format("no message with UID {} in {}", uid, path_));
  }
  const Placed& p = placed_[*i];
  const std::string& base = list_.entries[*i].base;
  if (p.guessed && !p.in_cur) {
    // Trusted from the list (sync_from_list): a message without flags is in
    // new/, or in cur/ when a reader moved it there without flags.
    struct stat st {};
    if (::fstatat(new_.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
      return FileRef{cur_.get(), base + ":2,", cur_.get(), new_.get()};
    }
  }
  return FileRef{p.in_cur ? cur_.get() : new_.get(), base + p.info, cur_.get(), new_.get()};
}

Status MaildirFolder::commit(UidList& list, std::unordered_map<std::string, Seen>& now,
                             bool changed) {
  if (changed) HM_TRY(write_list(list));
  install(std::move(list), now);
  return ok();
}

Status MaildirFolder::set_flags(uint32_t uid, std::string_view flags) {
  for (char c : flags) {
    if (std::string_view("DFPRST").find(c) == std::string_view::npos) {
      return fail(ErrorKind::kInvalid, fmt::format("'{}' is not a Maildir flag", c));
    }
  }
  bool present = false;
  auto changed = update_flags({uid}, {}, [&](const UidEntry& e) -> std::optional<std::string> {
    present = true;
    std::string keywords;
    for (char c : e.flags) {
      if (c >= 'a' && c <= 'z') keywords += c;
    }
    return normalize_flags(std::string(flags) + keywords);
  });
  if (!changed) return fail(changed.error());
  if (!present) {
    return fail(ErrorKind::kNotFound, fmt::format("no message with UID {} in {}", uid, path_));
  }
  return ok();
}

Result<std::vector<uint32_t>> MaildirFolder::update_flags(const std::vector<uint32_t>& uids,
                                                          const std::function<Status()>& prepare,
                                                          const FlagDecider& decide) {
  auto locked = lock();
  if (!locked) return fail(locked.error());
  stamps_.reset();  // whatever happens, the next sync looks again
  if (prepare) HM_TRY(prepare());

  std::vector<uint32_t> wanted = uids;
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::vector<uint32_t> done;  // renamed, over both attempts
  // Twice at most: a file renamed by another tool between our listing and
  // our rename (it does not take our lock) is found again by a new listing.
  // As in sync(), the folder's view changes only once the list is written.
  for (int attempt = 0;; ++attempt) {
    UidList list;
    std::unordered_map<std::string, Seen> now;
    bool changed = false;
    HM_TRY(sync_locked(list, now, changed));
    bool retry = false, touched_new = false, touched_cur = false;
    Status failed = ok();
    auto e = list.entries.begin();
    for (uint32_t uid : wanted) {
      e = std::lower_bound(e, list.entries.end(), uid,
                           [](const UidEntry& x, uint32_t u) { return x.uid < u; });
      if (e == list.entries.end()) break;
      if (e->uid != uid) continue;
      // Renamed by the first attempt: decided already.
      if (attempt > 0 && std::find(done.begin(), done.end(), uid) != done.end()) continue;
      auto target_flags = decide(*e);
      if (!target_flags) continue;
      Seen& seen = now[e->base];
      const std::string target = cur_name(e->base, *target_flags);
      if (seen.in_cur && seen.name == target) continue;
      const int from_fd = seen.in_cur ? cur_.get() : new_.get();
      // The rename is the change itself: the flags live in the file's name,
      // where every other Maildir reader sees them.
      if (fs::file_system().rename(from_fd, seen.name.c_str(), cur_.get(), target.c_str(), 0) !=
          0) {
        const int err = errno;
        if (err == ENOENT && attempt == 0) {
          retry = true;
          continue;
        }
        if (err == ENOENT) continue;  // expunged meanwhile by another tool
        failed = fail(
            sys_error(err, "rename", path_ + "/" + (seen.in_cur ? "cur/" : "new/") + seen.name));
        break;
      }
      touched_cur = true;
      touched_new = touched_new || !seen.in_cur;
      seen.in_cur = true;
      seen.name = target;
      e->flags = normalize_flags(*target_flags);
      e->modseq = ++list.highest_modseq;
      changed = true;
      done.push_back(uid);
    }
    // Both folders' entries changed: fsync them so the new names survive a
    // crash before the list (and a client) hears of them. A crash before
    // the list is written is harmless: the next sync finds the new info and
    // bumps the MODSEQ then.
    if (options_.fsync && touched_cur) {
      HM_TRY(fs::sync_folder(cur_.get(), ".", path_ + "/cur"));
      if (touched_new) HM_TRY(fs::sync_folder(new_.get(), ".", path_ + "/new"));
    }
    if (retry && failed) continue;
    HM_TRY(commit(list, now, changed));
    if (!failed) return fail(failed.error());
    std::sort(done.begin(), done.end());
    done.erase(std::unique(done.begin(), done.end()), done.end());
    return done;
  }
}

Result<std::vector<uint32_t>> MaildirFolder::expunge(
    const std::vector<uint32_t>* uids, const std::function<bool(const UidEntry&)>& pick) {
  auto locked = lock();
  if (!locked) return fail(locked.error());
  stamps_.reset();
  UidList list;
  std::unordered_map<std::string, Seen> now;
  bool changed = false;
  HM_TRY(sync_locked(list, now, changed));

  std::vector<uint32_t> wanted;
  if (uids) {
    wanted = *uids;
    std::sort(wanted.begin(), wanted.end());
  }
  std::vector<uint32_t> removed;
  std::vector<UidEntry> kept;
  kept.reserve(list.entries.size());
  bool touched_new = false, touched_cur = false;
  Status failed = ok();
  for (UidEntry& e : list.entries) {
    const bool asked = !uids || std::binary_search(wanted.begin(), wanted.end(), e.uid);
    if (!failed || !asked || !pick(e)) {
      kept.push_back(std::move(e));
      continue;
    }
    const Seen& seen = now[e.base];
    const int fd = seen.in_cur ? cur_.get() : new_.get();
    if (fs::file_system().unlink(fd, seen.name.c_str()) != 0) {
      // ENOENT: renamed (flags set) or removed by another tool meanwhile;
      // it stays in the list, and the next sync tells which. Anything else
      // stops the expunge here.
      if (errno != ENOENT) {
        failed = fail(
            sys_error(errno, "remove", path_ + "/" + (seen.in_cur ? "cur/" : "new/") + seen.name));
      }
      kept.push_back(std::move(e));
      continue;
    }
    touched_cur = touched_cur || seen.in_cur;
    touched_new = touched_new || !seen.in_cur;
    now.erase(e.base);
    removed.push_back(e.uid);
  }
  // The unlinks must be durable before the list forgets the messages;
  // otherwise a crash could bring back files without their UIDs.
  if (options_.fsync) {
    if (touched_cur) HM_TRY(fs::sync_folder(cur_.get(), ".", path_ + "/cur"));
    if (touched_new) HM_TRY(fs::sync_folder(new_.get(), ".", path_ + "/new"));
  }
  list.entries = std::move(kept);
  if (!removed.empty()) {
    ++list.highest_modseq;
    record_expunged(list, list.highest_modseq, removed);
    changed = true;
  }
  HM_TRY(commit(list, now, changed));
  if (!failed) return fail(failed.error());
  return removed;
}

Result<std::vector<uint32_t>> MaildirFolder::adopt(const Placer& place) {
  auto locked = lock();
  if (!locked) return fail(locked.error());
  stamps_.reset();
  auto bases = place();
  if (!bases) return fail(bases.error());
  auto forget = [&](Error e) {
    // The list cannot say who they are: take the files back, so that a
    // caller told "failed" does not find them later under new UIDs.
    for (const std::string& base : *bases) {
      for (const UniqueFd* dir : {&cur_, &new_}) {
        auto names = list_folder(dir->get(), path_);
        if (!names) continue;
        for (const std::string& n : *names) {
          if (n == base || n.rfind(base + ":", 0) == 0) {
            (void)fs::file_system().unlink(dir->get(), n.c_str());
          }
        }
      }
    }
    return fail(std::move(e));
  };
  UidList list;
  std::unordered_map<std::string, Seen> now;
  bool changed = false;
  if (Status s = sync_locked(list, now, changed, &*bases); !s) return forget(s.error());
  if (Status s = commit(list, now, changed); !s) return forget(s.error());
  std::unordered_map<std::string_view, uint32_t> by_base;
  for (const UidEntry& e : list_.entries) by_base.emplace(e.base, e.uid);
  std::vector<uint32_t> out;
  out.reserve(bases->size());
  for (const std::string& base : *bases) {
    auto it = by_base.find(base);
    if (it == by_base.end()) {
      return fail(ErrorKind::kInternal, fmt::format("{}: a new message vanished", path_));
    }
    out.push_back(it->second);
  }
  return out;
}

}  // namespace hm::store::maildir
