#pragma once
// A FileSystem (base/file_system.h) for tests, in the manner of LevelDB's
// fault-injection Env:
//   - hooks: any call can be replaced (a write that reports ENOSPC, an
//     fsync that reports EIO, a link across devices...);
//   - a crash: after a given number of calls that change the disk, every
//     further one fails with EIO and changes nothing, as if the process had
//     died at that step;
//   - a power loss: lose_unsynced() takes away what a real crash could lose,
//     names whose folder was not fsynced since they appeared (new files,
//     links, folders) and the bytes of files not fsynced since they were
//     written, so a test can check that nothing acknowledged is lost. A
//     rename whose new name was not made durable is undone (the file is back
//     under its old name), as a journaling file system does: a rename is one
//     atomic change, never a loss of the file.
// Thread-safe (the Maildir writer fsyncs folders on a second thread).

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "base/file_system.h"

namespace hm::testing {

class FaultFileSystem : public fs::FileSystem {
 public:
  // When set, called instead of the real call (which they may make
  // themselves through real()).
  std::function<int(int, const char*, int, mode_t)> on_open;
  std::function<ssize_t(int, const void*, size_t)> on_write;
  std::function<int(int)> on_fsync;
  std::function<int(int, const char*, int, const char*)> on_link;
  std::function<int(int, const char*, int, const char*, unsigned)> on_rename;
  std::function<int(int, const char*)> on_unlink;

  // The real calls.
  static fs::FileSystem& real() {
    static fs::FileSystem r;
    return r;
  }

  // After `steps` more calls that change the disk, the process "dies".
  void crash_after(int steps) {
    std::lock_guard lock(mutex_);
    crash_at_ = steps_ + steps;
  }
  bool crashed() const {
    std::lock_guard lock(mutex_);
    return crash_at_ >= 0 && steps_ >= crash_at_;
  }
  // Calls that changed (or would have changed) the disk so far.
  int steps() const {
    std::lock_guard lock(mutex_);
    return steps_;
  }

  // What a power loss now would take away, under `root`.
  void lose_unsynced(const std::string& root) {
    std::lock_guard lock(mutex_);
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      struct stat st {};
      if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          dirty_.count({st.st_dev, st.st_ino})) {
        ::truncate(it->path().c_str(), 0);
      }
    }
    // Renames undone first (their old names may be lost in turn below).
    for (const Entry& e : unsynced_) {
      auto from = renamed_.find(e);
      if (from == renamed_.end()) continue;
      std::filesystem::rename(e.first + "/" + e.second,
                              from->second.first + "/" + from->second.second, ec);
    }
    for (const Entry& e : unsynced_) {
      if (renamed_.count(e) == 0) std::filesystem::remove_all(e.first + "/" + e.second, ec);
    }
    unsynced_.clear();
    renamed_.clear();
    dirty_.clear();
  }

  int open(int dir_fd, const char* name, int flags, mode_t mode) override {
    const bool creates = (flags & O_CREAT) != 0;
    if (creates && !step()) return -1;
    int fd = on_open ? on_open(dir_fd, name, flags, mode) : real().open(dir_fd, name, flags, mode);
    if (fd >= 0 && creates) {
      added(dir_fd, name);
      mark_dirty(fd);  // a new file: empty until fsynced, whatever is written
    }
    return fd;
  }
  ssize_t write(int fd, const void* data, size_t size) override {
    if (!step()) return -1;
    mark_dirty(fd);
    return on_write ? on_write(fd, data, size) : real().write(fd, data, size);
  }
  int fsync(int fd) override {
    if (!step()) return -1;
    int rc = on_fsync ? on_fsync(fd) : real().fsync(fd);
    if (rc == 0) synced(fd);
    return rc;
  }
  int mkdir(int dir_fd, const char* name, mode_t mode) override {
    if (!step()) return -1;
    int rc = real().mkdir(dir_fd, name, mode);
    if (rc == 0) added(dir_fd, name);
    return rc;
  }
  int link(int from_dir, const char* from, int to_dir, const char* to) override {
    if (!step()) return -1;
    int rc =
        on_link ? on_link(from_dir, from, to_dir, to) : real().link(from_dir, from, to_dir, to);
    if (rc == 0) added(to_dir, to);
    return rc;
  }
  int rename(int from_dir, const char* from, int to_dir, const char* to, unsigned flags) override {
    if (!step()) return -1;
    // A rename over an existing name is atomic: after a power loss the name
    // holds the old file or the new one, so it is not taken away.
    struct stat st {};
    const bool replaces = ::fstatat(to_dir, to, &st, AT_SYMLINK_NOFOLLOW) == 0;
    int rc = on_rename ? on_rename(from_dir, from, to_dir, to, flags)
                       : real().rename(from_dir, from, to_dir, to, flags);
    if (rc == 0 && !replaces) {
      added(to_dir, to);
      Entry from_entry = entry(from_dir, from);
      Entry to_entry = entry(to_dir, to);
      std::lock_guard lock(mutex_);
      renamed_[to_entry] = from_entry;
    }
    return rc;
  }
  int unlink(int dir_fd, const char* name) override {
    if (!step()) return -1;
    int rc = on_unlink ? on_unlink(dir_fd, name) : real().unlink(dir_fd, name);
    if (rc == 0) {
      std::lock_guard lock(mutex_);
      unsynced_.erase(entry(dir_fd, name));
    }
    return rc;
  }

  int rmdir(int dir_fd, const char* name) override {
    if (!step()) return -1;
    int rc = real().rmdir(dir_fd, name);
    if (rc == 0) {
      std::lock_guard lock(mutex_);
      unsynced_.erase(entry(dir_fd, name));
    }
    return rc;
  }

  // The path of an open descriptor.
  static std::string path_of_fd(int fd) {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

 private:
  using Entry = std::pair<std::string, std::string>;  // canonical folder, name

  bool step() {
    std::lock_guard lock(mutex_);
    ++steps_;
    if (crash_at_ >= 0 && steps_ > crash_at_) {
      errno = EIO;
      return false;
    }
    return true;
  }

  static Entry entry(int dir_fd, const char* name) {
    std::string path = name;
    std::string folder, base;
    if (dir_fd == AT_FDCWD) {
      while (path.size() > 1 && path.back() == '/') path.pop_back();
      size_t slash = path.find_last_of('/');
      folder = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
      base = slash == std::string::npos ? path : path.substr(slash + 1);
      char real_folder[PATH_MAX];
      if (::realpath(folder.c_str(), real_folder)) folder = real_folder;
    } else {
      folder = path_of_fd(dir_fd);
      base = path;
    }
    return {folder, base};
  }

  void added(int dir_fd, const char* name) {
    Entry e = entry(dir_fd, name);
    std::lock_guard lock(mutex_);
    renamed_.erase(e);
    unsynced_.insert(std::move(e));
  }

  void mark_dirty(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
    std::lock_guard lock(mutex_);
    dirty_.insert({st.st_dev, st.st_ino});
  }

  void synced(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
      std::string folder = path_of_fd(fd);
      std::lock_guard lock(mutex_);
      for (auto it = unsynced_.begin(); it != unsynced_.end();) {
        it = it->first == folder ? unsynced_.erase(it) : std::next(it);
      }
    } else {
      std::lock_guard lock(mutex_);
      dirty_.erase({st.st_dev, st.st_ino});
    }
  }

  mutable std::mutex mutex_;
  int steps_ = 0;
  int crash_at_ = -1;
  std::set<Entry> unsynced_;
  std::map<Entry, Entry> renamed_;  // new name -> old name, for the renames in unsynced_
  std::set<std::pair<dev_t, ino_t>> dirty_;
};

}  // namespace hm::testing
