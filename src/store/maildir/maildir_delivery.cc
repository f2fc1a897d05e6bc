#include "store/maildir/maildir_delivery.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/paths.h"
#include "base/sys_error.h"
#include "base/unique_fd.h"
#include "store/maildir/tmp_cleanup.h"

namespace hm::store::maildir {

namespace {

constexpr mode_t kDirMode = 0700;
constexpr mode_t kFileMode = 0600;
// How often a name is drawn again when it exists already. Names carry time,
// pid, a counter and 64 random bits, so a second draw is all but impossible;
// the bound only keeps a broken clock or file system from looping forever.
constexpr int kNameAttempts = 8;

bool running_as_root() { return ::geteuid() == 0; }

bool wants_chown(const MaildirTarget& t) {
  return running_as_root() && (t.uid != static_cast<uid_t>(-1) || t.gid != static_cast<gid_t>(-1));
}

Status give_to_owner(const std::string& path, const MaildirTarget& t) {
  if (!wants_chown(t)) return ok();
  if (::chown(path.c_str(), t.uid, t.gid) != 0) return fail(sys_error(errno, "chown", path));
  return ok();
}

Status fsync_dir(const std::string& path) { return fs::sync_folder(AT_FDCWD, path, path); }

// The file system's calls by path (the Maildir code works with paths: its
// folders belong to the user it runs as).
int make_dir(const std::string& path) {
  return fs::file_system().mkdir(AT_FDCWD, path.c_str(), kDirMode);
}
void remove_name(const std::string& path) { fs::file_system().unlink(AT_FDCWD, path.c_str()); }

std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// Maildir names must not contain '/' (a path) or ':' (starts the flags), so
// the convention writes them as octal escapes.
std::string safe_hostname(const std::string& hostname) {
  std::string host = hostname;
  if (host.empty()) {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) == 0) host = buf;
    if (host.empty()) host = "localhost";
  }
  std::string out;
  for (char c : host) {
    if (c == '/') {
      out += "\\057";
    } else if (c == ':') {
      out += "\\072";
    } else {
      out += c;
    }
  }
  return out;
}

// ",S=" is the size of the file (Unix line ends, as stored); ",W=" the size
// with CRLF line ends, which IMAP's RFC822.SIZE reports (Dovecot's
// convention), so neither needs the file to be read.
std::string full_name(const std::string& hostname, const StoredMessage& message) {
  return unique_name(hostname) + fmt::format(",S={},W={}", message.size(), message.wire_size());
}

// mkdir -p for the folders above a Maildir, recording what it created.
Status make_parents(const std::string& path, const MaildirTarget& t,
                    std::vector<std::string>& created) {
  const size_t before = created.size();
  Status made = fs::make_folders(path, kDirMode, created);
  for (size_t i = before; i < created.size(); ++i) HM_TRY(give_to_owner(created[i], t));
  return made;
}

// A target after its folders are known to exist.
struct Prepared {
  std::string root, tmp, cur, new_;
  std::optional<Error> error;
  // Folders that hold the name of a folder created for this delivery; they
  // must be fsynced before the delivery counts (SyncedParents).
  std::set<std::string> parents_to_sync;
  bool registered = false;  // in creating_maildirs() until those are durable
};

// Maildirs this process is creating whose folders are not durable yet, with
// the parent folders that make them so. A second delivery to the same new
// Maildir, made meanwhile by another session, finds the folders in place
// and would otherwise say "250" before they could survive a crash; it
// fsyncs the same parents itself. (Another process delivering the first
// message to the same account in the same milliseconds is not covered.)
class CreatingMaildirs {
 public:
  void add(const std::string& root, const std::set<std::string>& parents) {
    std::lock_guard lock(mutex_);
    auto& entry = creating_[root];
    ++entry.creators;
    entry.parents.insert(parents.begin(), parents.end());
  }
  void remove(const std::string& root) {
    std::lock_guard lock(mutex_);
    auto it = creating_.find(root);
    if (it != creating_.end() && --it->second.creators == 0) creating_.erase(it);
  }
  // The parents a delivery to `root` must fsync too; none when it is not new.
  std::set<std::string> parents_of(const std::string& root) {
    std::lock_guard lock(mutex_);
    auto it = creating_.find(root);
    return it == creating_.end() ? std::set<std::string>{} : it->second.parents;
  }

 private:
  struct Entry {
    unsigned creators = 0;
    std::set<std::string> parents;
  };
  std::mutex mutex_;
  std::map<std::string, Entry> creating_;
};

CreatingMaildirs& creating_maildirs() {
  static CreatingMaildirs registry;
  return registry;
}

// Creates <root>, cur, new, tmp where missing, each 0700 and owned by the
// target. Creating is a race between processes (two sessions delivering the
// first message to a new account): EEXIST simply means someone else won.
// tmp/ comes last, so that its existence means the whole Maildir exists.
//
// Durability: a created folder is only durable once its parent folder is
// fsynced (the parent holds its name): the Maildir root for tmp/new/cur, the
// root's parent when the root itself was new, and so on up. Those parents go
// into p.parents_to_sync; deliver() fsyncs them while the message is written.
Status create_maildir(Prepared& p, const MaildirTarget& t) {
  std::vector<std::string> created;
  for (const std::string* sub : {&p.cur, &p.new_, &p.tmp}) {
    if (sub == &p.tmp) {
      // Whoever sees tmp/ from now on takes the Maildir as complete: say
      // first which folders still have to become durable (the root holds
      // tmp/'s name; the others hold the names created so far).
      std::set<std::string> parents{p.root};
      for (const std::string& c : created) parents.insert(parent_of(c));
      creating_maildirs().add(p.root, parents);
      p.registered = true;
    }
    if (make_dir(*sub) == 0) {
      created.push_back(*sub);
      HM_TRY(give_to_owner(*sub, t));
      continue;
    }
    if (errno == EEXIST) continue;  // another delivery created it meanwhile
    if (errno != ENOENT) return fail(sys_error(errno, "create folder", *sub));
    HM_TRY(make_parents(p.root, t, created));
    if (make_dir(*sub) == 0) {
      created.push_back(*sub);
      HM_TRY(give_to_owner(*sub, t));
    } else if (errno != EEXIST) {
      return fail(sys_error(errno, "create folder", *sub));
    }
  }
  for (const std::string& c : created) p.parents_to_sync.insert(parent_of(c));
  return ok();
}

// Makes sure the target's Maildir exists. The usual case, a Maildir that has
// had mail before, costs one look-up: tmp/ is created last.
Status ensure_maildir(Prepared& p, const MaildirTarget& t) {
  if (::access(p.tmp.c_str(), F_OK) == 0) {
    p.parents_to_sync = creating_maildirs().parents_of(p.root);
    return ok();
  }
  return create_maildir(p, t);
}

// Fsyncs the parents of the folders a first delivery created, on a thread of
// its own, while the caller writes, fsyncs and links the message: the order
// between the two does not matter, only that both are done before the "250"
// (a crash before it loses nothing that was acknowledged; the retry finds or
// recreates the folders). A first delivery then waits for about two rounds
// of fsyncs, as every later one does, instead of four one after the other.
// When no thread can be started, the fsyncs run in wait() instead.
class SyncedParents {
 public:
  // Reads only each target's parents_to_sync, which nobody changes meanwhile.
  explicit SyncedParents(const std::vector<Prepared>& prepared)
      : prepared_(prepared), errors_(prepared.size()) {
    bool any = false;
    for (const Prepared& p : prepared_) any = any || !p.parents_to_sync.empty();
    if (!any) {
      done_ = true;
      return;
    }
    try {
      thread_ = std::thread([this] { run(); });
    } catch (const std::system_error&) {
      // No thread (resource limits): wait() does the work itself.
    }
  }
  SyncedParents(const SyncedParents&) = delete;
  SyncedParents& operator=(const SyncedParents&) = delete;
  ~SyncedParents() { wait(); }

  // Returns when every parent is fsynced: per target, why its parents could
  // not be (nullopt: durable, or nothing to do).
  const std::vector<std::optional<Error>>& wait() {
    if (thread_.joinable()) {
      thread_.join();
    } else if (!done_) {
      run();
    }
    return errors_;
  }

 private:
  void run() {
    std::map<std::string, std::optional<Error>> synced;  // each folder once
    for (size_t i = 0; i < prepared_.size(); ++i) {
      for (const std::string& dir : prepared_[i].parents_to_sync) {
        auto [it, fresh] = synced.try_emplace(dir);
        if (fresh) {
          if (Status s = fsync_dir(dir); !s) it->second = s.error();
        }
        if (it->second && !errors_[i]) errors_[i] = *it->second;
      }
    }
    done_ = true;
  }

  const std::vector<Prepared>& prepared_;
  std::vector<std::optional<Error>> errors_;
  std::thread thread_;
  bool done_ = false;  // written by run(), read after join() or on this thread
};

// Writes the message to a new file in `p.tmp` and makes its content durable.
// Returns the base name (the same name goes into new/).
//
// O_EXCL: the name is claimed by creating it; on a shared file system this is
// the one operation that has exactly one winner across nodes, so a clash is
// detected, never silently overwritten. On EEXIST we draw a new name.
Result<std::string> write_tmp(const Prepared& p, const StoredMessage& message,
                              const MaildirTarget& t, const DeliveryOptions& options) {
  fs::NewFile how;
  how.mode = kFileMode;
  if (wants_chown(t)) {
    how.uid = t.uid;
    how.gid = t.gid;
  }
  // Step 2: fsync the file. Its bytes must be on disk before any name in
  // new/ points at it, or a crash could leave a visible but empty message.
  how.fsync = options.fsync;
  for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
    std::string name = full_name(options.hostname, message);
    std::string path = p.tmp + "/" + name;
    Status written = fs::write_new_file(AT_FDCWD, path, message.text(), how, path);
    if (!written && written.error().kind() == ErrorKind::kExists) continue;
    if (!written) return fail(written.error());
    return name;
  }
  return fail(ErrorKind::kTemporary,
              "cannot find a free file name in " + p.tmp + " after several attempts",
              "clock or file system misbehaving");
}

// new/ has gone while tmp/ is still there (someone removed it by hand):
// creates what is missing again and makes it durable before going on. Uses a
// Prepared of its own: SyncedParents may be reading `dst` on its thread.
Status recreate_maildir(const Prepared& dst, const MaildirTarget& t,
                        const DeliveryOptions& options) {
  Prepared fresh;
  fresh.root = dst.root;
  fresh.tmp = dst.tmp;
  fresh.new_ = dst.new_;
  fresh.cur = dst.cur;
  Status s = create_maildir(fresh, t);
  if (s && options.fsync) {
    for (const std::string& dir : fresh.parents_to_sync) {
      s = fsync_dir(dir);
      if (!s) break;
    }
  }
  if (fresh.registered) creating_maildirs().remove(fresh.root);
  return s;
}

// How place_in_new() gave the file its name in new/.
enum class Placed {
  kLinked,      // a second name: the tmp/ name is still there
  kMoved,       // renamed: the tmp/ name is gone
  kCannotLink,  // this file system has no hard links here: the caller copies
};

// Gives the file at `src` (already durable) a name in `dst.new_`: by
// rename(2) when `move` (the last name the file needs), else by link(2).
// Never by a rename that may replace: a message of the same name would be
// silently lost, and on a shared file system two nodes can both be told that
// the same rename succeeded. link(2) and renameat2's RENAME_NOREPLACE fail
// with EEXIST for all but one; where RENAME_NOREPLACE is not supported (NFS:
// EINVAL) the link is used. `name` may be changed to a fresh one when it is
// taken in this target.
Result<Placed> place_in_new(const std::string& src, const Prepared& dst, std::string& name,
                            const MaildirTarget& t, const DeliveryOptions& options,
                            const StoredMessage& message, bool move) {
  bool recreated = false;
  for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
    std::string dest = dst.new_ + "/" + name;
    int rc = move ? fs::file_system().rename(AT_FDCWD, src.c_str(), AT_FDCWD, dest.c_str(),
                                             RENAME_NOREPLACE)
                  : fs::file_system().link(AT_FDCWD, src.c_str(), AT_FDCWD, dest.c_str());
    if (rc == 0) return move ? Placed::kMoved : Placed::kLinked;
    const int err = errno;
    if (err == EEXIST) {
      name = full_name(options.hostname, message);
      continue;
    }
    if (move && (err == EINVAL || err == ENOSYS || err == EOPNOTSUPP)) {
      move = false;  // no RENAME_NOREPLACE here: link, then unlink
      --attempt;
      continue;
    }
    if (err == ENOENT && !recreated) {
      recreated = true;
      HM_TRY(recreate_maildir(dst, t, options));
      continue;
    }
    switch (err) {
      // EPERM from link(2) means "this file system has no hard links" (or the
      // kernel's protected_hardlinks); a copy works in both cases or fails
      // with a clear EACCES of its own.
      case EXDEV:
      case EPERM:
      case EMLINK:
      case EOPNOTSUPP: return Placed::kCannotLink;
      default: return fail(sys_error(err, move ? "move into" : "link into", dst.new_));
    }
  }
  return fail(ErrorKind::kTemporary, "cannot find a free file name in " + dst.new_,
              "clock or file system misbehaving");
}

// Delivers into one target by writing a copy into its own tmp/ (durably) and
// linking that into its new/; used where one inode cannot serve (another file
// system, another owner). Returns the name in new/.
Result<std::string> deliver_copy(const Prepared& p, const StoredMessage& message,
                                 const MaildirTarget& t, const DeliveryOptions& options) {
  auto name = write_tmp(p, message, t, options);
  if (!name) return fail(name.error());
  std::string tmp_path = p.tmp + "/" + *name;
  std::string final_name = *name;
  auto placed = place_in_new(tmp_path, p, final_name, t, options, message, /*move=*/false);
  // The tmp/ name has served its purpose whether or not the link worked.
  remove_name(tmp_path);
  if (!placed) return fail(placed.error());
  if (*placed == Placed::kCannotLink) {
    return fail(ErrorKind::kTemporary, "cannot link " + tmp_path + " into " + p.new_,
                "the file system supports no hard links within one folder tree");
  }
  return final_name;
}

}  // namespace

std::string unique_name(const std::string& hostname) {
  const fs::UniqueParts u = fs::unique_parts();
  return fmt::format("{}.M{}P{}Q{}R{:016x}.{}", u.seconds, u.micros, u.pid, u.counter, u.random,
                     safe_hostname(hostname));
}

std::vector<Result<std::string>> deliver(std::string_view message,
                                         const std::vector<MaildirTarget>& targets,
                                         const DeliveryOptions& options) {
  return deliver(StoredMessage::from_stored(std::string(message)), targets, options);
}

std::vector<Result<std::string>> deliver(const StoredMessage& message,
                                         const std::vector<MaildirTarget>& targets,
                                         const DeliveryOptions& options) {
  const size_t n = targets.size();
  std::vector<Prepared> prepared(n);
  std::vector<std::optional<std::string>> names(n);  // name in new/ once linked

  // Step 1: make sure every Maildir exists (created if not; made durable in
  // step 6).
  // A target that cannot be prepared fails alone.
  for (size_t i = 0; i < n; ++i) {
    Prepared& p = prepared[i];
    p.root = strip_trailing_slashes(targets[i].path);
    p.tmp = p.root + "/tmp";
    p.new_ = p.root + "/new";
    p.cur = p.root + "/cur";
    if (Status s = ensure_maildir(p, targets[i]); !s) p.error = s.error();
    if (!options.fsync) p.parents_to_sync.clear();
  }
  // The folders just created become durable meanwhile (step 6 waits).
  SyncedParents parents(prepared);

  // Step 2: write the message once, into tmp/ of the first target that takes
  // it, and fsync it (write_tmp). If that target's disk refuses (full, EIO,
  // permission), it fails and the next target is tried as the source.
  std::optional<size_t> source;
  std::string source_name, source_path;
  bool source_moved = false;  // renamed into new/: no tmp/ name to remove
  for (size_t i = 0; i < n && !source; ++i) {
    if (prepared[i].error) continue;
    auto name = write_tmp(prepared[i], message, targets[i], options);
    if (!name) {
      prepared[i].error = name.error();
      continue;
    }
    source = i;
    source_name = *name;
    source_path = prepared[i].tmp + "/" + *name;
  }

  if (source) {
    // Step 3: give every target its name in new/. One inode, several names,
    // where possible: one write and one fsync for all recipients. A hard link
    // shares the owner, so a target owned by someone else (a local account,
    // when running as root) gets its own copy instead.
    // With a single target the file is renamed instead (one change of two
    // folders rather than a link and an unlink, each also changing the inode).
    const MaildirTarget& src_target = targets[*source];
    for (size_t i = 0; i < n; ++i) {
      Prepared& p = prepared[i];
      if (p.error) continue;
      bool same_owner = !running_as_root() ||
                        (targets[i].uid == src_target.uid && targets[i].gid == src_target.gid);
      std::string name = source_name;
      if (same_owner) {
        auto placed = place_in_new(source_path, p, name, targets[i], options, message,
                                   /*move=*/n == 1);
        if (!placed) {
          p.error = placed.error();
          continue;
        }
        if (*placed == Placed::kMoved) source_moved = true;
        if (*placed != Placed::kCannotLink) {
          names[i] = name;
          continue;
        }
      }
      // Another file system (EXDEV) or owner: a copy written and fsynced in
      // this target's own tmp/, then linked into its new/.
      auto copied = deliver_copy(p, message, targets[i], options);
      if (!copied) {
        p.error = copied.error();
        continue;
      }
      names[i] = *copied;
    }

    // Step 4: fsync every new/ folder that got a name. The link is a change
    // of the folder, not of the file; only this makes the new name survive a
    // crash. Until it returns, no "250". If it fails the name is taken away
    // again (best effort), so that the retry the sender makes after our 4xx
    // does not end in a duplicate.
    if (options.fsync) {
      for (size_t i = 0; i < n; ++i) {
        if (!names[i]) continue;
        const MaildirTarget& t = targets[i];
        Status s = t.base_fd >= 0
                       ? fs::sync_folder_beneath(t.base_fd, t.relative + "/new", prepared[i].new_)
                       : fsync_dir(prepared[i].new_);
        if (!s) {
          remove_name(prepared[i].new_ + "/" + *names[i]);
          prepared[i].error = s.error();
          names[i].reset();
        }
      }
    }

    // Step 5: remove the tmp/ name. It is not fsynced: should the unlink be
    // lost in a crash, a stale file stays in tmp/, which readers never show
    // and clean up after 36 hours per the Maildir convention. The message is
    // already safe in new/, so an fsync here would cost a disk flush per
    // message and buy nothing.
    if (!source_moved) remove_name(source_path);
  }

  // Step 6: the folders created in step 1 are durable too. Where they are
  // not, the name in new/ is taken away again, as in step 4.
  const std::vector<std::optional<Error>>& parent_errors = parents.wait();
  for (const Prepared& p : prepared) {
    if (p.registered) creating_maildirs().remove(p.root);
  }
  for (size_t i = 0; i < n; ++i) {
    if (!parent_errors[i]) continue;
    if (names[i]) {
      remove_name(prepared[i].new_ + "/" + *names[i]);
      names[i].reset();
    }
    if (!prepared[i].error) prepared[i].error = parent_errors[i];
  }

  std::vector<Result<std::string>> results;
  results.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (names[i]) {
      tmp_cleanup().after_delivery(prepared[i].root);  // once a day per Maildir
      results.emplace_back(*names[i]);
    } else if (prepared[i].error) {
      results.emplace_back(fail(*prepared[i].error));
    } else {
      // Unreachable in practice: every target either got a name or an error.
      results.emplace_back(fail(ErrorKind::kInternal,
                                "delivery to " + prepared[i].root + " ended without a result"));
    }
  }
  return results;
}

}  // namespace hm::store::maildir
