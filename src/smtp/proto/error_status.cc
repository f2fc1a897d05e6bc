#include "smtp/proto/error_status.h"

namespace hm::smtp::proto {

SmtpStatus status_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kTemporary: return {451, "4.3.0"};
    case ErrorKind::kInternal: return {451, "4.3.0"};
    case ErrorKind::kNotFound: return {550, "5.1.1"};
    case ErrorKind::kPermission: return {554, "5.7.1"};
    case ErrorKind::kAuthFailed: return {535, "5.7.8"};
    case ErrorKind::kInvalid: return {501, "5.1.3"};
    case ErrorKind::kLimit: return {550, "5.5.3"};
    case ErrorKind::kOverQuota: return {552, "5.2.2"};
    case ErrorKind::kLoop: return {550, "5.4.6"};
    case ErrorKind::kExists: return {550, "5.1.0"};
  }
  return {451, "4.3.0"};  // a kind from a newer peer: transient, never a bounce
}

std::string status_line(SmtpStatus status, std::string_view text) {
  std::string out = std::to_string(status.code);
  out += ' ';
  out += status.enhanced;
  out += ' ';
  out += text;
  return out;
}

std::string status_line(const Error& e) { return status_line(status_of(e), e.message()); }

Reply rcpt_reply(const Error& e, std::string_view address) {
  std::string text = "<" + std::string(address) + ">: ";
  switch (e.kind()) {
    case ErrorKind::kNotFound: text += "Recipient address rejected: User unknown"; break;
    case ErrorKind::kInvalid: text += "Bad recipient address syntax"; break;
    case ErrorKind::kLoop: text += "Recipient address rejected: alias loop"; break;
    case ErrorKind::kLimit: text += "Recipient expands to too many addresses"; break;
    case ErrorKind::kPermission: text += "Recipient address rejected: access denied"; break;
    case ErrorKind::kOverQuota: text += "Message is larger than the mailbox's quota"; break;
    case ErrorKind::kTemporary: text += e.message(); break;
    case ErrorKind::kInternal: text += "Temporary lookup failure, try again later"; break;
    // Not what a lookup says of a recipient; worded by class, never "temporary" beside a 5xx.
    default: text += "Recipient address rejected"; break;
  }
  const SmtpStatus status = status_of(e);
  return make_reply(status.code, status.enhanced, text);
}

}  // namespace hm::smtp::proto
