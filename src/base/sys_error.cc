#include "base/sys_error.h"

#include <cerrno>
#include <string>
#include <system_error>

#include <fmt/format.h>

namespace hm {

Error sys_error(int err, std::string_view what, std::string_view path, ErrorKind missing) {
  std::string message =
      fmt::format("cannot {} {}: {}", what, path, std::generic_category().message(err));
  ErrorKind kind = ErrorKind::kTemporary;
  switch (err) {
    case EACCES:
    case EPERM:
      kind = ErrorKind::kPermission;
      message += "; check the owner and mode of it and of its parent folders";
      break;
    case ENOENT: kind = missing; break;
    case ENOSPC: message += "; the file system is full"; break;
    case EDQUOT: message += "; the owner's disk quota is exhausted"; break;
    case EIO: message += "; the disk reported an I/O error"; break;
    default: break;
  }
  return Error(kind, std::move(message), fmt::format("errno {}", err));
}

}  // namespace hm
