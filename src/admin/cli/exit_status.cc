#include "admin/cli/exit_status.h"

#include <cstdio>

#include "base/log.h"

namespace hm::admin::cli {

int exit_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid: return 65;     // EX_DATAERR
    case ErrorKind::kNotFound: return 67;    // EX_NOUSER
    case ErrorKind::kExists: return 73;      // EX_CANTCREAT
    case ErrorKind::kTemporary: return 75;   // EX_TEMPFAIL
    case ErrorKind::kPermission: return 77;  // EX_NOPERM
    case ErrorKind::kAuthFailed: return 77;
    case ErrorKind::kLimit: return 65;
    case ErrorKind::kOverQuota: return 73;
    case ErrorKind::kLoop: return 65;
    case ErrorKind::kInternal: return 70;  // EX_SOFTWARE
  }
  return 1;
}

int report(const Error& error) {
  std::fprintf(stderr, "hostmail: %s\n", error.message().c_str());
  if (!error.detail().empty()) log::debug("detail: {}", error.detail());
  return exit_status(error.kind());
}

}  // namespace hm::admin::cli
