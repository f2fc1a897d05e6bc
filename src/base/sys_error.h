#pragma once
// The Error for a failed system call on a file or folder: "cannot <what>
// <path>: <strerror>", with a hint an administrator can act on for the
// errors that have one (owner and mode, a full file system, a quota, a
// failing disk), and errno in the detail.
//
// Kinds: EACCES and EPERM are kPermission; ENOENT is `missing` (callers that
// look things up by name pass kNotFound; writers, for whom a vanished folder
// is one more thing to retry, keep the default); everything else kTemporary.

#include <string_view>

#include "base/error.h"

namespace hm {

Error sys_error(int err, std::string_view what, std::string_view path,
                ErrorKind missing = ErrorKind::kTemporary);

}  // namespace hm
