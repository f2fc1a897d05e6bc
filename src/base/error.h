#pragma once
// hm::Error: what went wrong, said for the person who must act on it.
//
// Every fallible call in hostmail returns hm::Result<T> (below) instead of
// throwing. An Error has a kind, which decides how each protocol answers
// (SMTP code and enhanced code, IMAP response code, CLI exit status: each in
// its own layer, as smtp/proto/error_status.h does for SMTP), a
// message meant for the operator or client, and an optional detail that only
// goes to the log (for instance the backend's own error text, or which of
// "unknown user" and "wrong password" made a login fail).

#include <string>
#include <string_view>

namespace hm {

enum class ErrorKind {
  kTemporary,   // try again later: a backend is down, a lock is held, a timeout
  kNotFound,    // the named thing does not exist
  kExists,      // the thing to create exists already
  kPermission,  // the actor may not do this
  kAuthFailed,  // login refused; never says why to the client
  kInvalid,     // malformed input: bad address, bad config value, bad LDIF
  kLimit,       // a configured limit was hit (size, count, depth)
  kOverQuota,   // the mailbox is full
  kLoop,        // mail routing loop (alias expansion, Received count)
  kInternal,    // a bug or an unexpected system failure
};

std::string_view to_string(ErrorKind kind);

class Error {
 public:
  Error(ErrorKind kind, std::string message, std::string detail = {})
      : kind_(kind), message_(std::move(message)), detail_(std::move(detail)) {}

  ErrorKind kind() const { return kind_; }
  // Said to the person: what was wrong and, where possible, what to do.
  const std::string& message() const { return message_; }
  // Only for the log; may be empty.
  const std::string& detail() const { return detail_; }

  bool temporary() const { return kind_ == ErrorKind::kTemporary; }

  // Message plus detail, for the log.
  std::string describe() const;

  // Adds context in front of the message ("reading hostmail.toml: ...").
  Error& prefix(std::string_view context);

 private:
  ErrorKind kind_;
  std::string message_;
  std::string detail_;
};

}  // namespace hm
