#include "store/maildir/file_lock.h"

#include <fcntl.h>

#include <cerrno>
#include <thread>

#include <fmt/format.h>

#include "base/sys_error.h"

namespace hm::store::maildir {

namespace {
constexpr auto kPoll = std::chrono::milliseconds(2);
}  // namespace

Result<FileLock> FileLock::take(int fd, std::chrono::milliseconds timeout,
                                const std::string& shown) {
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file
  int cmd = F_OFD_SETLK;
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  // Polled rather than F_SETLKW: a wait that must end (kTemporary) and
  // that no signal of another thread can cut short unnoticed.
  while (::fcntl(fd, cmd, &fl) != 0) {
    if (errno == EINVAL && cmd == F_OFD_SETLK) {
      cmd = F_SETLK;
    } else if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
      return fail(sys_error(errno, "lock", shown));
    } else if (std::chrono::steady_clock::now() >= give_up) {
      return fail(
          ErrorKind::kTemporary,
          fmt::format("{} stayed locked by another process for {} ms", shown, timeout.count()));
    } else {
      std::this_thread::sleep_for(kPoll);
    }
  }
  return FileLock(fd, cmd);
}

FileLock::~FileLock() {
  if (fd_ < 0) return;
  struct flock fl {};
  fl.l_type = F_UNLCK;
  fl.l_whence = SEEK_SET;
  (void)::fcntl(fd_, cmd_, &fl);  // closing the descriptor would drop it too
}

}  // namespace hm::store::maildir
