#pragma once
// The file-system layer under the store and the queue: the system calls on
// their durability paths, and the few patterns both build from them (write
// everything, fsync a file and a folder, create a file exclusively under a
// unique name, open an entry without following a link). One copy for both,
// so that the rules (retry EINTR and short writes, never loop on a write
// that makes no progress, take a half-written file away again) are kept in
// one place.
//
// The seam: every call that changes the disk goes through a FileSystem,
// LevelDB's Env in small. Production uses the real one; a test installs its
// own (ScopedFileSystem) to make one call fail with ENOSPC or EIO, to count
// calls, or to "crash" after any step and then drop what was not fsynced
// (tests/support/fault_file_system.h). Reads are plain system calls.
//
// Each FileSystem method returns what the system call returns and sets errno
// the same way. `dir_fd` is a folder descriptor or AT_FDCWD (then `name` is a
// path).
//
// Thread-safety: the real file system is stateless. Installing another one
// is not synchronised: do it only while no store or queue operation runs.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace hm::fs {

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual int open(int dir_fd, const char* name, int flags, mode_t mode);  // openat(2)
  virtual ssize_t write(int fd, const void* data, size_t size);
  virtual int fsync(int fd);  // files and folders
  virtual int mkdir(int dir_fd, const char* name, mode_t mode);
  virtual int link(int from_dir, const char* from, int to_dir, const char* to);
  // renameat2(2); `flags` 0 or RENAME_NOREPLACE (which fails with EEXIST
  // instead of replacing, and with EINVAL where the file system cannot
  // promise that: NFS).
  virtual int rename(int from_dir, const char* from, int to_dir, const char* to, unsigned flags);
  virtual int unlink(int dir_fd, const char* name);
  virtual int rmdir(int dir_fd, const char* name);  // unlinkat(AT_REMOVEDIR)
};

// The file system in use: the real one unless a test installed another.
FileSystem& file_system();

// Installs `replacement` for its lifetime, then restores what was before.
class ScopedFileSystem {
 public:
  explicit ScopedFileSystem(FileSystem& replacement);
  ~ScopedFileSystem();
  ScopedFileSystem(const ScopedFileSystem&) = delete;
  ScopedFileSystem& operator=(const ScopedFileSystem&) = delete;

 private:
  FileSystem* previous_;
};

// Writes all of `data` to `fd`, resuming after short writes and EINTR; a
// write that makes no progress is EIO, never a loop. `shown` names the file
// in the error (kTemporary: ENOSPC, EDQUOT, EIO...).
Status write_all(int fd, std::string_view data, const std::string& shown);

// fsync of an open file or folder.
Status sync(int fd, const std::string& shown);
// Opens the folder `name` (a path with AT_FDCWD) and fsyncs it: the names
// created, linked or renamed in it survive a crash only after this.
Status sync_folder(int dir_fd, const std::string& name, const std::string& shown);

// mkdir -p: creates `path` and the folders above it that are missing, each
// with `mode`, and appends each folder it made to `created`, outermost
// first (their names are durable only once their parents are fsynced: the
// caller's to do). A folder another process creates meanwhile is fine.
// ENOTDIR when something in the way is not a folder.
Status make_folders(const std::string& path, mode_t mode, std::vector<std::string>& created);

// The same for the folder `relative` below the folder open as `base_fd`,
// reached without following any symbolic link and without leaving that
// folder (openat2's RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH: one system call,
// as the plain open). kPermission, saying so, when a link is on the way.
// Where the kernel has no openat2 (before Linux 5.6) it opens as usual.
Status sync_folder_beneath(int base_fd, const std::string& relative, const std::string& shown);

// How write_new_file creates its file.
struct NewFile {
  mode_t mode = 0600;
  // Given to this owner (fchown) before anything is written; -1: left as is.
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  bool fsync = true;  // false only for tests and benchmarks that say so
};

// Creates `name` in `dir_fd`, which must not exist (O_EXCL, so a symbolic
// link there fails too: on a shared file system the one operation with
// exactly one winner across nodes), writes `data`, fsyncs it when asked and
// closes it: on success its bytes are on disk before any later rename or
// link can make it visible. On any failure after the create the name is
// removed again, so no half file is left. kExists when the name is taken
// (draw another); otherwise as sys_error, naming `shown`.
Status write_new_file(int dir_fd, const std::string& name, std::string_view data,
                      const NewFile& how, const std::string& shown);

// Opens the entry `name` of the folder `dir_fd` (`shown` is its path, for
// messages): a regular file, never through a symbolic link (kPermission
// saying so), and without blocking on a FIFO put there in its place.
// `missing` is the kind for ENOENT (see sys_error).
Result<UniqueFd> open_regular(int dir_fd, const std::string& name, const std::string& shown,
                              int flags, ErrorKind missing = ErrorKind::kNotFound);

// What makes a file name unique on this host: the time, the process, a
// counter of this process, and 64 random bits. The store and the queue each
// spell it in their own format (Maildir's convention, queue ids).
struct UniqueParts {
  int64_t seconds = 0;
  int64_t micros = 0;
  int64_t pid = 0;
  uint64_t counter = 0;  // from 1, per process
  uint64_t random = 0;
};
UniqueParts unique_parts();

}  // namespace hm::fs
