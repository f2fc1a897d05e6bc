#pragma once
// How `hostmail serve` stops being root: after binding its listeners and
// opening the directory, the queue and the TLS files, it becomes
// [storage] vmail_user / vmail_group for good.
//
// Ownership policy (docs/operations.md): hostmail chowns to vmail only files
// that are unmistakably its own and that root-run commands routinely create
// (the SQLite database with its -wal/-shm, the queue folder
// <state_dir>/queue and its entries). It never chowns a folder named in the
// configuration (the SQLite folder, state_dir, virtual_base): handing a
// mistyped "/var" to vmail would be far worse than refusing to start. Those
// must already be writable by vmail; check_writable says which is not and
// the command that fixes it.
//
// Not thread-safe: call at start-up.

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace hm::privsep {

struct RunAs {
  std::string user;
  std::string group;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Looks up vmail_user and vmail_group. kNotFound says how to create them;
// kPermission when either is root (uid or gid 0).
Result<RunAs> lookup_run_as(const std::string& user, const std::string& group);

// Gives to run_as each entry `names` of the folder open as `dir_fd`
// (`dir_shown` is its path, for messages) that exists and that root owns.
// These folders are vmail's, so vmail may have planted anything in them: a
// name is opened once without following a link (O_PATH | O_NOFOLLOW) and
// the descriptor is chowned, so nothing can be swapped in between; only a
// folder or a regular file with a single link is touched (a hard link to a
// file of root's stays root's, with a warning); links and anything else are
// left alone. Missing names are skipped.
Status chown_if_root_owned(int dir_fd, const std::string& dir_shown,
                           const std::vector<std::string>& names, const RunAs& run_as);

// setgroups(0), setgid, setuid, then checks that root cannot be regained.
// Applies to every thread of the process (glibc's setxid broadcast).
// kInternal when any step fails: the caller must exit, never run as root.
Status drop_privileges(const RunAs& run_as);

// After the drop: every folder must allow write and search, every file read
// and write, for the current user. kPermission naming the first that does
// not and the chown that fixes it.
Status check_writable(const std::vector<std::string>& folders,
                      const std::vector<std::string>& files, const RunAs& run_as);

}  // namespace hm::privsep
