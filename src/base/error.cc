#include "base/error.h"

namespace hm {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kTemporary: return "temporary failure";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kExists: return "already exists";
    case ErrorKind::kPermission: return "permission denied";
    case ErrorKind::kAuthFailed: return "authentication failed";
    case ErrorKind::kInvalid: return "invalid";
    case ErrorKind::kLimit: return "limit exceeded";
    case ErrorKind::kOverQuota: return "over quota";
    case ErrorKind::kLoop: return "routing loop";
    case ErrorKind::kInternal: return "internal error";
  }
  return "unknown error";
}

std::string Error::describe() const {
  if (detail_.empty()) return message_;
  return message_ + " (" + detail_ + ")";
}

Error& Error::prefix(std::string_view context) {
  message_.insert(0, std::string(context) + ": ");
  return *this;
}

}  // namespace hm
