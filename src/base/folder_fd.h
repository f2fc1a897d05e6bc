#pragma once
// Folders that root walks but an unprivileged user can write (the queue, the
// SQLite folder: both belong to vmail) may hold a symbolic link planted by
// that user, pointing anywhere (/etc). Code that may run as root opens such a
// folder once, without following a link, and then works relative to the
// descriptor (openat, unlinkat, renameat, fchownat), so that no path it
// uses afterwards can be redirected: a link swapped in later changes nothing.
//
// Thread-safe: plain system calls.

#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace hm {

// Opens the folder `name` inside the folder open as `dir_fd` (AT_FDCWD: a
// path, whose last part is then not followed either). `shown` names it in
// messages. kPermission when it is a symbolic link or not a folder, saying so
// and that it must be removed; kNotFound when it does not exist; otherwise
// as sys_error.
Result<UniqueFd> open_folder_nofollow(int dir_fd, const std::string& name,
                                      const std::string& shown);

// The names in the folder open as `dir_fd`, without "." and "..". Reads
// through a new open file description, so that concurrent readers of the
// same descriptor do not share a position.
Result<std::vector<std::string>> list_folder(int dir_fd, const std::string& shown);

}  // namespace hm
