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

int Error::smtp_code() const {
  switch (kind_) {
    case ErrorKind::kTemporary: return 451;
    case ErrorKind::kInternal: return 451;
    case ErrorKind::kNotFound: return 550;
    case ErrorKind::kPermission: return 554;
    case ErrorKind::kAuthFailed: return 535;
    case ErrorKind::kInvalid: return 501;
    case ErrorKind::kLimit: return 550;
    case ErrorKind::kOverQuota: return 552;
    case ErrorKind::kLoop: return 550;
    case ErrorKind::kExists: return 550;
  }
  return 451;
}

std::string_view Error::smtp_enhanced_code() const {
  switch (kind_) {
    case ErrorKind::kTemporary: return "4.3.0";
    case ErrorKind::kInternal: return "4.3.0";
    case ErrorKind::kNotFound: return "5.1.1";
    case ErrorKind::kPermission: return "5.7.1";
    case ErrorKind::kAuthFailed: return "5.7.8";
    case ErrorKind::kInvalid: return "5.1.3";
    case ErrorKind::kLimit: return "5.5.3";
    case ErrorKind::kOverQuota: return "5.2.2";
    case ErrorKind::kLoop: return "5.4.6";
    case ErrorKind::kExists: return "5.1.0";
  }
  return "4.3.0";
}

}  // namespace hm
