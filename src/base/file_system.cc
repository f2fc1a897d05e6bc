#include "base/file_system.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>

#include <fmt/format.h>

#include "base/sys_error.h"

namespace hm::fs {

int FileSystem::open(int dir_fd, const char* name, int flags, mode_t mode) {
  return ::openat(dir_fd, name, flags, mode);
}
ssize_t FileSystem::write(int fd, const void* data, size_t size) { return ::write(fd, data, size); }
int FileSystem::fsync(int fd) { return ::fsync(fd); }
int FileSystem::mkdir(int dir_fd, const char* name, mode_t mode) {
  return ::mkdirat(dir_fd, name, mode);
}
int FileSystem::link(int from_dir, const char* from, int to_dir, const char* to) {
  return ::linkat(from_dir, from, to_dir, to, 0);
}
int FileSystem::rename(int from_dir, const char* from, int to_dir, const char* to, unsigned flags) {
  return ::renameat2(from_dir, from, to_dir, to, flags);
}
int FileSystem::unlink(int dir_fd, const char* name) { return ::unlinkat(dir_fd, name, 0); }
int FileSystem::rmdir(int dir_fd, const char* name) {
  return ::unlinkat(dir_fd, name, AT_REMOVEDIR);
}

namespace {

FileSystem& real() {
  static FileSystem real_fs;
  return real_fs;
}

std::atomic<FileSystem*>& current() {
  static std::atomic<FileSystem*> fs{&real()};
  return fs;
}

}  // namespace

FileSystem& file_system() { return *current().load(std::memory_order_relaxed); }

ScopedFileSystem::ScopedFileSystem(FileSystem& replacement)
    : previous_(current().exchange(&replacement)) {}
ScopedFileSystem::~ScopedFileSystem() { current().store(previous_); }

Status write_all(int fd, std::string_view data, const std::string& shown) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = file_system().write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(sys_error(errno, "write", shown));
    }
    if (n == 0) return fail(sys_error(EIO, "write", shown));  // no progress: never loop
    p += n;
    left -= static_cast<size_t>(n);
  }
  return ok();
}

Status sync(int fd, const std::string& shown) {
  if (file_system().fsync(fd) != 0) return fail(sys_error(errno, "fsync", shown));
  return ok();
}

Status sync_folder(int dir_fd, const std::string& name, const std::string& shown) {
  UniqueFd fd(file_system().open(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0));
  if (fd.get() < 0) return fail(sys_error(errno, "open folder", shown));
  if (file_system().fsync(fd.get()) != 0) return fail(sys_error(errno, "fsync folder", shown));
  return ok();
}

Status sync_folder_beneath(int base_fd, const std::string& relative, const std::string& shown) {
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH;
  long fd = ::syscall(SYS_openat2, base_fd, relative.c_str(), &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) return sync_folder(base_fd, relative, shown);
  if (fd < 0) {
    if (errno == ELOOP || errno == EXDEV) {
      return fail(ErrorKind::kPermission,
                  fmt::format("{} is reached through a symbolic link; hostmail never follows "
                              "links below the folder it was given: remove the link",
                              shown));
    }
    return fail(sys_error(errno, "open folder", shown));
  }
  UniqueFd folder(static_cast<int>(fd));
  if (file_system().fsync(folder.get()) != 0) return fail(sys_error(errno, "fsync folder", shown));
  return ok();
}

Status make_folders(const std::string& path, mode_t mode, std::vector<std::string>& created) {
  // Up until a folder exists, then down, creating.
  std::vector<std::string> missing;
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  for (;;) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return fail(sys_error(ENOTDIR, "create folder", path));
      break;
    }
    if (errno != ENOENT) return fail(sys_error(errno, "create folder", path));
    missing.push_back(p);
    const size_t slash = p.find_last_of('/');
    if (slash == std::string::npos || slash == 0) break;
    p.resize(slash);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (file_system().mkdir(AT_FDCWD, it->c_str(), mode) == 0) {
      created.push_back(*it);
    } else if (errno != EEXIST) {  // another process won the race: fine
      return fail(sys_error(errno, "create folder", *it));
    }
  }
  return ok();
}

Status write_new_file(int dir_fd, const std::string& name, std::string_view data,
                      const NewFile& how, const std::string& shown) {
  UniqueFd fd(file_system().open(dir_fd, name.c_str(),
                                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, how.mode));
  if (fd.get() < 0) {
    if (errno == EEXIST) return fail(ErrorKind::kExists, shown + " exists already");
    return fail(sys_error(errno, "create", shown));
  }
  auto discard = [&](Error e) {
    file_system().unlink(dir_fd, name.c_str());
    return fail(std::move(e));
  };
  if ((how.uid != static_cast<uid_t>(-1) || how.gid != static_cast<gid_t>(-1)) &&
      ::fchown(fd.get(), how.uid, how.gid) != 0) {
    return discard(sys_error(errno, "chown", shown));
  }
  if (Status s = write_all(fd.get(), data, shown); !s) return discard(s.error());
  if (how.fsync) {
    if (Status s = sync(fd.get(), shown); !s) return discard(s.error());
  }
  if (fd.close() != 0) return discard(sys_error(errno, "close", shown));
  return ok();
}

Result<UniqueFd> open_regular(int dir_fd, const std::string& name, const std::string& shown,
                              int flags, ErrorKind missing) {
  UniqueFd fd(
      file_system().open(dir_fd, name.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0));
  if (fd.get() < 0) {
    if (errno == ELOOP) {
      return fail(ErrorKind::kPermission,
                  fmt::format("{} is a symbolic link; hostmail never follows links here: "
                              "remove it",
                              shown));
    }
    return fail(sys_error(errno, "open", shown, missing));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(sys_error(errno, "inspect", shown));
  if (!S_ISREG(st.st_mode)) {
    return fail(ErrorKind::kPermission, fmt::format("{} is not a regular file: remove it", shown));
  }
  return fd;
}

namespace {

uint64_t random64() {
  uint64_t value = 0;
  // GRND_NONBLOCK: early at boot the pool may not be ready; the name is then
  // still unique through time, pid and counter, so do not wait for it.
  ssize_t n;
  do {
    n = ::getrandom(&value, sizeof value, GRND_NONBLOCK);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof value)) {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    value = static_cast<uint64_t>(ts.tv_nsec) * 0x9e3779b97f4a7c15ULL ^
            static_cast<uint64_t>(ts.tv_sec);
  }
  return value;
}

}  // namespace

UniqueParts unique_parts() {
  static std::atomic<uint64_t> counter{0};
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  UniqueParts u;
  u.seconds = ts.tv_sec;
  u.micros = ts.tv_nsec / 1000;
  u.pid = ::getpid();
  u.counter = counter.fetch_add(1, std::memory_order_relaxed) + 1;
  u.random = random64();
  return u;
}

}  // namespace hm::fs
