#include "store/maildir/tmp_cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/file_system.h"
#include "base/log.h"

namespace hm::store::maildir {

namespace {

std::chrono::system_clock::time_point to_time(const timespec& ts) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

}  // namespace

size_t clean_tmp(const std::string& maildir, std::chrono::system_clock::time_point now) {
  const std::string tmp = maildir + (maildir.ends_with('/') ? "tmp" : "/tmp");
  const int dir_fd = ::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir_fd < 0) return 0;
  DIR* dir = ::fdopendir(dir_fd);
  if (!dir) {
    ::close(dir_fd);
    return 0;
  }
  size_t removed = 0;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode)) continue;
    const auto touched = std::max({to_time(st.st_atim), to_time(st.st_mtim), to_time(st.st_ctim)});
    if (now - touched < kTmpStaleAfter) continue;
    if (fs::file_system().unlink(dir_fd, e->d_name) == 0) {
      ++removed;
      log::info("maildir: removed {}/{}, left in tmp/ by a crash", tmp, name);
    }
  }
  ::closedir(dir);  // closes dir_fd too
  return removed;
}

size_t TmpCleanup::after_delivery(const std::string& maildir) {
  const auto t = now();
  {
    std::lock_guard lock(mutex_);
    auto [it, first] = last_clean_.try_emplace(maildir, t);
    if (!first) {
      if (t - it->second < kTmpCleanEvery) return 0;
      it->second = t;
    }
  }
  return clean_tmp(maildir, t);
}

TmpCleanup& tmp_cleanup() {
  static TmpCleanup cleanup;
  return cleanup;
}

}  // namespace hm::store::maildir
