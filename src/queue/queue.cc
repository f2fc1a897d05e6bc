#include "queue/queue.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <system_error>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/folder_fd.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/sys_error.h"
#include "base/unique_fd.h"
#include "queue/queue_format.h"

namespace hm::queue {
namespace {

using Clock = std::chrono::system_clock;

constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;
constexpr std::string_view kEnvSuffix = ".env";
constexpr std::string_view kMsgSuffix = ".msg";
// Leftovers of a crash (files in tmp/, a .msg without its .env) older than
// this are removed by open(). Far longer than any enqueue takes, so a
// concurrent enqueue in another process is never disturbed.
constexpr auto kStaleAfter = std::chrono::hours(1);

// Lookups by id: a missing file means no such entry.
Error sys_error(int err, std::string_view what, const std::string& path) {
  return hm::sys_error(err, what, path, ErrorKind::kNotFound);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Ids come from the command line too: only names we could have made, so an
// id can never point outside the queue ("../x").
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128 || id[0] == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '-' || c == '_';
  });
}

Status check_id(const std::string& id) {
  if (valid_id(id)) return ok();
  return fail(ErrorKind::kInvalid,
              "\"" + id + "\" is not a queue id; `hostmail queue list` shows the ids");
}

// "<seconds>.<micro>P<pid>Q<counter>R<random>": unique per host; the queue is
// one node's own, so no host name is needed.
std::string new_id() {
  const fs::UniqueParts u = fs::unique_parts();
  return fmt::format("{}.{:06}P{}Q{}R{:08x}", u.seconds, u.micros, u.pid, u.counter,
                     static_cast<uint32_t>(u.random));
}

// Makes the names of newly created folders durable: each lives in its
// parent's entries, so the parents are fsynced (each once, innermost
// first). Without this a crash soon after the first start could lose the
// state folder with messages already acknowledged in it.
Status fsync_parents(const std::vector<std::string>& created) {
  std::vector<std::string> parents;
  for (auto it = created.rbegin(); it != created.rend(); ++it) {
    std::string parent = parent_of(*it);
    if (std::find(parents.begin(), parents.end(), parent) == parents.end()) {
      parents.push_back(std::move(parent));
    }
  }
  for (const std::string& p : parents) HM_TRY(fs::sync_folder(AT_FDCWD, p, p));
  return ok();
}

Status fsync_folder(int dir_fd, const std::string& shown) {
  if (fs::file_system().fsync(dir_fd) != 0) return fail(sys_error(errno, "fsync folder", shown));
  return ok();
}

// Opens the entry file `name` of the folder `dir_fd` (`shown` is its path,
// for messages): a regular file, never through a symbolic link, and without
// blocking on a FIFO that someone put there in its place.
Result<UniqueFd> open_entry_file(int dir_fd, const std::string& name, const std::string& shown,
                                 int flags) {
  return fs::open_regular(dir_fd, name, shown, flags);
}

// Creates `name` in the folder `dir_fd` (it must not exist), writes `data`,
// and when asked makes it durable before returning: the rename that follows
// must never expose a file whose bytes are not on disk yet. `dir_shown` is
// the folder's path, for messages.
Status write_new_file(int dir_fd, const std::string& dir_shown, const std::string& name,
                      std::string_view data, bool do_fsync) {
  fs::NewFile how;
  how.mode = kFileMode;
  how.fsync = do_fsync;
  if (::geteuid() == 0) {
    // `hostmail queue` run by root must leave files that the daemon, which
    // runs as the queue folder's owner (vmail), can read and rewrite.
    struct stat folder {};
    if (::fstat(dir_fd, &folder) == 0 && folder.st_uid != 0) {
      how.uid = folder.st_uid;
      how.gid = folder.st_gid;
    }
  }
  return fs::write_new_file(dir_fd, name, data, how, dir_shown + "/" + name);
}

Result<std::string> read_whole(int dir_fd, const std::string& name, const std::string& shown) {
  auto fd = open_entry_file(dir_fd, name, shown, O_RDONLY);
  if (!fd) return fail(std::move(fd).error());
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(sys_error(errno, "read", shown));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Whether `name` exists in the folder `dir_fd` (as anything; a link is not
// followed). Errors other than "missing" count as existing: nothing is
// removed on a guess.
bool exists_at(int dir_fd, const std::string& name) {
  struct stat st {};
  return ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT;
}

bool older_than(const struct stat& st, std::chrono::seconds age) {
  return Clock::now() - Clock::from_time_t(st.st_mtime) > age;
}

// An exclusive lock on one entry, held while it lives. The lock is on the
// .msg file: its inode stays the same for the entry's whole life, whereas the
// .env is replaced by rename at every update (a lock on it would lock the old
// inode). OFD locks, not classic POSIX ones: those belong to the process, so
// two threads would both "hold" them, and closing any descriptor of the file
// would drop them.
class EntryLock {
 public:
  static Result<EntryLock> acquire(int dir_fd, const std::string& name, const std::string& shown) {
    auto opened = open_entry_file(dir_fd, name, shown, O_RDWR);
    if (!opened) return fail(std::move(opened).error());  // kNotFound when missing
    int fd = opened->release();
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int rc;
    do {
      rc = ::fcntl(fd, F_OFD_SETLKW, &fl);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      int err = errno;
      ::close(fd);
      return fail(sys_error(err, "lock", shown));
    }
    return EntryLock(fd);
  }
  EntryLock(EntryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  EntryLock(const EntryLock&) = delete;
  EntryLock& operator=(const EntryLock&) = delete;
  EntryLock& operator=(EntryLock&&) = delete;
  ~EntryLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit EntryLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace

namespace {

// Creates (if needed) and opens the queue folder `name` inside `parent_fd`
// without following a link (see queue.h). Its owner is not checked: what
// vmail can leave here is a link (refused) or a folder of its own, never one
// of root's (moving /etc needs write access to /, creating a hard link to a
// folder is impossible), and everything done below the descriptor treats
// every name with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW.
// `made` is set when the folder was created here: its name then lives only
// in `parent_fd`'s entries, which the caller makes durable.
Result<UniqueFd> queue_folder(int parent_fd, const std::string& name, const std::string& shown,
                              bool& made) {
  if (fs::file_system().mkdir(parent_fd, name.c_str(), kDirMode) == 0) {
    made = true;
  } else if (errno != EEXIST) {
    return fail(sys_error(errno, "create folder", shown));
  }
  return open_folder_nofollow(parent_fd, name, shown);
}

}  // namespace

Result<Queue> Queue::open(const std::string& state_dir, bool fsync) {
  if (state_dir.empty()) {
    return fail(ErrorKind::kInvalid, "no state folder configured ([storage] state_dir)");
  }
  std::string state = state_dir;
  while (state.size() > 1 && state.back() == '/') state.pop_back();
  const std::string path = (state == "/" ? "" : state) + "/queue";
  // The state folder is the administrator's choice, link or not; below it,
  // everything is the daemon's and is opened without following links.
  std::vector<std::string> created;
  HM_TRY(fs::make_folders(state, kDirMode, created));
  if (fsync && !created.empty()) HM_TRY(fsync_parents(created));
  UniqueFd state_fd(::open(state.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (state_fd.get() < 0) return fail(sys_error(errno, "open folder", state));
  bool made_queue = false, made_sub = false;
  auto queue_fd = queue_folder(state_fd.get(), "queue", path, made_queue);
  if (!queue_fd) return fail(std::move(queue_fd).error());
  auto tmp = queue_folder(queue_fd->get(), "tmp", path + "/tmp", made_sub);
  if (!tmp) return fail(std::move(tmp).error());
  auto active = queue_folder(queue_fd->get(), "active", path + "/active", made_sub);
  if (!active) return fail(std::move(active).error());
  // New folders' names are durable before anything is acknowledged in them.
  if (fsync && made_queue) HM_TRY(fsync_folder(state_fd.get(), state));
  if (fsync && made_sub) HM_TRY(fsync_folder(queue_fd->get(), path));
  Queue queue(path, fsync, std::move(*tmp), std::move(*active));

  // Clean up after a crash: files in tmp/ were never committed, and a .msg
  // without its .env in active/ is an enqueue that died between its two
  // renames (the .env is the commit point). Neither was ever acknowledged.
  // Only regular files are looked at, and unlinkat removes a name, never
  // what a link points to.
  auto sweep = [](int dir_fd, const std::string& shown, auto&& is_garbage) {
    auto names = list_folder(dir_fd, shown);
    if (!names) return;
    for (const std::string& name : *names) {
      struct stat st {};
      if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
        continue;
      }
      if (!older_than(st, kStaleAfter) || !is_garbage(name)) continue;
      if (fs::file_system().unlink(dir_fd, name.c_str()) == 0) {
        log::info("queue: removed crash leftover {}/{}", shown, name);
      }
    }
  };
  sweep(queue.tmp_.get(), path + "/tmp", [](const std::string&) { return true; });
  const int active_fd = queue.active_.get();
  sweep(active_fd, path + "/active", [&](const std::string& name) {
    if (!ends_with(name, kMsgSuffix)) return false;
    return !exists_at(active_fd,
                      name.substr(0, name.size() - kMsgSuffix.size()) + std::string(kEnvSuffix));
  });
  return queue;
}

Result<std::string> Queue::enqueue(const std::string& sender,
                                   const std::vector<QueuedRecipient>& recipients,
                                   std::string_view message) {
  QueueEntry entry;
  entry.sender = sender;
  entry.arrived = Clock::now();
  entry.recipients = recipients;
  if (!has_work(entry.recipients)) {
    return fail(ErrorKind::kInvalid,
                "nothing to queue: no recipient is pending, deferred or waiting for its bounce");
  }
  std::string id = new_id();
  const std::string msg = id + std::string(kMsgSuffix);
  const std::string env = id + std::string(kEnvSuffix);
  const std::string tmp_dir = path_ + "/tmp";
  const std::string active_dir = path_ + "/active";
  const int tmp = tmp_.get();
  const int active = active_.get();

  // 1. Both files complete and fsynced under tmp/, where list() never looks.
  HM_TRY(write_new_file(tmp, tmp_dir, msg, message, fsync_));
  if (Status s = write_new_file(tmp, tmp_dir, env, format::write_envelope(entry), fsync_); !s) {
    fs::file_system().unlink(tmp, msg.c_str());
    return fail(s.error());
  }
  // 2. The message first, then the envelope: an entry is listed only once
  // its .env is in active/, and by then its .msg is there too. rename is
  // safe here (unlike in shared Maildirs): the queue is this node's own and
  // the id is unique, so nothing else ever renames to this name.
  if (fs::file_system().rename(tmp, msg.c_str(), active, msg.c_str(), 0) != 0) {
    int err = errno;
    fs::file_system().unlink(tmp, msg.c_str());
    fs::file_system().unlink(tmp, env.c_str());
    return fail(sys_error(err, "move into the queue", active_dir + "/" + msg));
  }
  if (fs::file_system().rename(tmp, env.c_str(), active, env.c_str(), 0) != 0) {
    int err = errno;
    fs::file_system().unlink(active, msg.c_str());
    fs::file_system().unlink(tmp, env.c_str());
    return fail(sys_error(err, "move into the queue", active_dir + "/" + env));
  }
  // 3. fsync active/: the renames are changes of the folder. Only now is the
  // message safe, and only now may the session answer 250. Should a crash
  // keep one rename and lose the other, list() ignores the half (an .env
  // without .msg, or a .msg without .env) — neither was acknowledged.
  if (fsync_) {
    if (Status s = fsync_folder(active, active_dir); !s) {
      fs::file_system().unlink(active, env.c_str());
      fs::file_system().unlink(active, msg.c_str());
      return fail(s.error());
    }
  }
  return id;
}

Result<std::vector<QueueEntry>> Queue::list() const {
  const std::string active = path_ + "/active";
  auto names = list_folder(active_.get(), active);
  if (!names) return fail(std::move(names).error());
  std::vector<std::string> ids;
  for (const std::string& name : *names) {
    if (!ends_with(name, kEnvSuffix)) continue;
    std::string id = name.substr(0, name.size() - kEnvSuffix.size());
    if (valid_id(id)) ids.push_back(std::move(id));
  }

  std::vector<QueueEntry> out;
  for (const std::string& id : ids) {
    auto entry = get(id);
    if (entry) {
      out.push_back(std::move(*entry));
    } else if (entry.error().kind() != ErrorKind::kNotFound) {
      // Removed meanwhile is normal; anything else deserves a line.
      log::warning("queue: skipping {}: {}", id, entry.error().describe());
    }
  }
  std::sort(out.begin(), out.end(), [](const QueueEntry& a, const QueueEntry& b) {
    return a.arrived != b.arrived ? a.arrived < b.arrived : a.id < b.id;
  });
  return out;
}

namespace {

EnvelopeStamp stamp_of(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_ino),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          static_cast<int64_t>(st.st_size)};
}

}  // namespace

Result<std::vector<Queue::Listed>> Queue::scan() const {
  const std::string active = path_ + "/active";
  auto names = list_folder(active_.get(), active);
  if (!names) return fail(std::move(names).error());
  std::vector<Listed> out;
  for (const std::string& name : *names) {
    if (!ends_with(name, kEnvSuffix)) continue;
    std::string id = name.substr(0, name.size() - kEnvSuffix.size());
    if (!valid_id(id)) continue;
    struct stat st {};
    if (::fstatat(active_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    out.push_back({std::move(id), stamp_of(st)});
  }
  return out;
}

Result<EnvelopeStamp> Queue::stamp(const std::string& id) const {
  HM_TRY(check_id(id));
  const std::string env = id + std::string(kEnvSuffix);
  struct stat st {};
  if (::fstatat(active_.get(), env.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return fail(ErrorKind::kNotFound, "no message " + id + " in the queue");
    return fail(sys_error(errno, "inspect", path_ + "/active/" + env));
  }
  return stamp_of(st);
}

Result<QueueEntry> Queue::get(const std::string& id) const {
  HM_TRY(check_id(id));
  const std::string env = id + std::string(kEnvSuffix);
  const std::string msg = id + std::string(kMsgSuffix);
  const std::string env_path = path_ + "/active/" + env;
  reads_->fetch_add(1, std::memory_order_relaxed);
  auto text = read_whole(active_.get(), env, env_path);
  if (!text) {
    if (text.error().kind() == ErrorKind::kNotFound) {
      return fail(ErrorKind::kNotFound, "no message " + id + " in the queue");
    }
    return fail(text.error());
  }
  struct stat st {};
  if (::fstatat(active_.get(), msg.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISREG(st.st_mode)) {
    // An envelope whose message is gone: a crash mid-enqueue (never
    // acknowledged) or a remove in progress. Either way, not an entry.
    return fail(ErrorKind::kNotFound, "no message " + id + " in the queue");
  }
  auto entry = format::parse_envelope(*text);
  if (!entry) return fail(std::move(entry).error().prefix(env_path));
  entry->id = id;
  entry->size = static_cast<size_t>(st.st_size);
  return entry;
}

Result<std::string> Queue::message(const std::string& id) const {
  HM_TRY(check_id(id));
  const std::string msg = id + std::string(kMsgSuffix);
  auto text = read_whole(active_.get(), msg, path_ + "/active/" + msg);
  if (!text && text.error().kind() == ErrorKind::kNotFound) {
    return fail(ErrorKind::kNotFound, "no message " + id + " in the queue");
  }
  return text;
}

Status Queue::update(const QueueEntry& entry) {
  HM_TRY(check_id(entry.id));
  const std::string env = entry.id + std::string(kEnvSuffix);
  const std::string msg = entry.id + std::string(kMsgSuffix);
  const std::string active_dir = path_ + "/active";
  const int active = active_.get();
  auto lock = EntryLock::acquire(active, msg, active_dir + "/" + msg);
  if (!lock) {
    if (lock.error().kind() == ErrorKind::kNotFound) {
      return fail(ErrorKind::kNotFound, "no message " + entry.id + " in the queue");
    }
    return fail(lock.error());
  }
  // Under the lock: the entry may have been removed while we waited.
  if (!exists_at(active, env)) {
    return fail(ErrorKind::kNotFound, "no message " + entry.id + " in the queue");
  }
  if (!has_work(entry.recipients)) {
    // Done: the .env goes first (the commit point of removal), then the .msg.
    if (fs::file_system().unlink(active, env.c_str()) != 0) {
      return fail(sys_error(errno, "remove", active_dir + "/" + env));
    }
    fs::file_system().unlink(active, msg.c_str());
    if (fsync_) HM_TRY(fsync_folder(active, active_dir));
    return ok();
  }
  // The new envelope under a fresh tmp/ name, fsynced, then renamed over the
  // old one: a reader (or a crash) sees the old state or the new, never a mix.
  HM_TRY(replace_envelope(entry));
  if (fsync_) HM_TRY(fsync_folder(active, active_dir));
  return ok();
}

Status Queue::replace_envelope(const QueueEntry& entry) {
  const std::string env = entry.id + std::string(kEnvSuffix);
  const std::string tmp = entry.id + "." + new_id() + std::string(kEnvSuffix);
  HM_TRY(write_new_file(tmp_.get(), path_ + "/tmp", tmp, format::write_envelope(entry), fsync_));
  if (fs::file_system().rename(tmp_.get(), tmp.c_str(), active_.get(), env.c_str(), 0) != 0) {
    int err = errno;
    fs::file_system().unlink(tmp_.get(), tmp.c_str());
    return fail(sys_error(err, "replace", path_ + "/active/" + env));
  }
  return ok();
}

Status Queue::retry_now(const std::string& id) {
  std::vector<std::string> ids;
  if (id.empty()) {
    auto all = list();
    if (!all) return fail(all.error());
    for (const QueueEntry& e : *all) ids.push_back(e.id);
  } else {
    HM_TRY(check_id(id));
    ids.push_back(id);
  }
  for (const std::string& one : ids) {
    // Read and rewrite under the entry's lock, so that an update the daemon
    // makes meanwhile is neither lost nor overwritten with a stale copy.
    const std::string msg = one + std::string(kMsgSuffix);
    auto lock = EntryLock::acquire(active_.get(), msg, path_ + "/active/" + msg);
    if (!lock) {
      if (lock.error().kind() != ErrorKind::kNotFound) return fail(lock.error());
      if (!id.empty()) return fail(ErrorKind::kNotFound, "no message " + one + " in the queue");
      continue;  // delivered or deleted since list()
    }
    auto entry = get(one);
    if (!entry) {
      if (entry.error().kind() == ErrorKind::kNotFound && id.empty()) continue;
      return fail(entry.error());
    }
    for (QueuedRecipient& r : entry->recipients) {
      if (r.state == QueuedRecipient::State::kDeferred ||
          r.state == QueuedRecipient::State::kPending) {
        r.next_attempt = Clock::now();
      }
    }
    HM_TRY(replace_envelope(*entry));
  }
  if (fsync_ && !ids.empty()) HM_TRY(fsync_folder(active_.get(), path_ + "/active"));
  return ok();
}

Status Queue::remove(const std::string& id) {
  HM_TRY(check_id(id));
  const std::string env = id + std::string(kEnvSuffix);
  const std::string msg = id + std::string(kMsgSuffix);
  const std::string active_dir = path_ + "/active";
  const int active = active_.get();
  auto lock = EntryLock::acquire(active, msg, active_dir + "/" + msg);
  if (!lock) {
    if (lock.error().kind() == ErrorKind::kNotFound) {
      return fail(ErrorKind::kNotFound, "no message " + id + " in the queue");
    }
    return fail(lock.error());
  }
  // The .env first: once it is gone the entry is gone, whatever happens next.
  if (fs::file_system().unlink(active, env.c_str()) != 0) {
    if (errno == ENOENT) return fail(ErrorKind::kNotFound, "no message " + id + " in the queue");
    return fail(sys_error(errno, "remove", active_dir + "/" + env));
  }
  fs::file_system().unlink(active, msg.c_str());
  if (fsync_) HM_TRY(fsync_folder(active, active_dir));
  return ok();
}

bool Queue::has_work(const std::vector<QueuedRecipient>& recipients) {
  return std::any_of(recipients.begin(), recipients.end(), [](const auto& r) {
    using State = QueuedRecipient::State;
    return r.state == State::kPending || r.state == State::kDeferred ||
           (r.state == State::kFailed && !r.bounced);
  });
}

std::chrono::seconds Queue::backoff(unsigned attempts) {
  using std::chrono::seconds;
  constexpr seconds kFirst{5 * 60};
  constexpr seconds kMax{4 * 60 * 60};
  if (attempts == 0) return seconds{0};
  seconds wait = kFirst;
  for (unsigned i = 1; i < attempts && wait < kMax; ++i) wait *= 2;
  return std::min(wait, kMax);
}

}  // namespace hm::queue
