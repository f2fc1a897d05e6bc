#pragma once
// The system calls on Maildir delivery's durability path, behind function
// pointers so that a test can make one of them fail (a disk that reports EIO
// at fsync, a full file system at write) and check that no "250" would follow.
// The idea of LevelDB's Env, kept as small as delivery needs.
//
// Not synchronised: replace the pointers only while no delivery runs (tests
// set them, deliver, and restore them). Production code never touches them.

#include <sys/types.h>

#include <cstddef>

namespace hm::store::maildir {

struct FileOps {
  ssize_t (*write)(int fd, const void* data, size_t size);
  int (*fsync)(int fd);  // files and directories
  int (*link)(const char* from, const char* to);
  // rename(2) that fails with EEXIST instead of replacing (renameat2 with
  // RENAME_NOREPLACE); EINVAL where the file system cannot promise that.
  int (*rename_noreplace)(const char* from, const char* to);
};

// The operations deliver() uses; initially the real system calls.
FileOps& file_ops();
// The real system calls, to restore after a test.
FileOps real_file_ops();

}  // namespace hm::store::maildir
