#pragma once
// An exclusive fcntl() lock on a whole lock file, held while the FileLock
// lives: the lock that the store's writers of one folder or account share
// across threads, processes and NFS clients. Open-file-description locks
// (F_OFD_SETLK) where the kernel has them, so two descriptors in one
// process exclude each other too and closing another descriptor of the
// file drops nothing; classic POSIX locks before Linux 3.15. Both are what
// NFS (lockd, NFSv4) and GlusterFS carry between hosts.
//
// Used by the index (message_index.h), the UID list (maildir_folder.h) and
// the account's files (maildir_account.h).
//
// Thread-safety: a FileLock belongs to one thread; the lock file's
// descriptor must outlive it.

#include <chrono>
#include <string>

#include "base/result.h"

namespace hm::store::maildir {

class FileLock {
 public:
  // Takes the lock on the open file `fd`, polling until `timeout`:
  // kTemporary when another holder keeps it that long (saying so, with
  // `shown`, the lock's path); other errors as sys_error.
  static Result<FileLock> take(int fd, std::chrono::milliseconds timeout, const std::string& shown);

  FileLock(FileLock&& o) noexcept : fd_(o.fd_), cmd_(o.cmd_) { o.fd_ = -1; }
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock();

 private:
  FileLock(int fd, int cmd) : fd_(fd), cmd_(cmd) {}
  int fd_;
  int cmd_;  // the fcntl command that took it
};

}  // namespace hm::store::maildir
