#include "admin/cli/exit_status.h"

#include <cstdio>

#include "base/log.h"
#include "base/sysexits.h"

namespace hm::admin::cli {

int exit_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid: return sysexits::kDataErr;
    case ErrorKind::kNotFound: return sysexits::kNoUser;
    case ErrorKind::kExists: return sysexits::kCantCreat;
    case ErrorKind::kTemporary: return sysexits::kTempFail;
    case ErrorKind::kPermission: return sysexits::kNoPerm;
    case ErrorKind::kAuthFailed: return sysexits::kNoPerm;
    case ErrorKind::kLimit: return sysexits::kDataErr;
    case ErrorKind::kOverQuota: return sysexits::kCantCreat;
    case ErrorKind::kLoop: return sysexits::kDataErr;
    case ErrorKind::kInternal: return sysexits::kSoftware;
  }
  return 1;
}

int report(const Error& error) {
  std::fprintf(stderr, "hostmail: %s\n", error.message().c_str());
  if (!error.detail().empty()) log::debug("detail: {}", error.detail());
  return exit_status(error.kind());
}

}  // namespace hm::admin::cli
