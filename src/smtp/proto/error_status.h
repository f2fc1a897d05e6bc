#pragma once
// The one mapping from hm::Error to SMTP statuses: reply code and RFC 3463
// enhanced status code.
//
// base/error.h knows no protocol; each protocol turns an ErrorKind into its
// own answer. For SMTP this table is it, used by the session's RCPT replies
// and by the delivery agent for what the queue records of a recipient and
// what a bounce (RFC 3464 Status:, Diagnostic-Code:) reports, so that a
// sender hears the same status for the same error whether it was found at
// RCPT or later. A status of class 4 is transient: the delivery agent keeps
// the recipient queued and retries; class 5 fails it for good.
//
// Pure functions and constants, no I/O: thread-safe.

#include <string>
#include <string_view>

#include "base/error.h"
#include "smtp/proto/reply.h"

namespace hm::smtp::proto {

struct SmtpStatus {
  int code;                   // 451, 550, ...
  std::string_view enhanced;  // "4.3.0", "5.1.1", ...: the class agrees with `code`'s

  bool transient() const { return code < 500; }
  bool operator==(const SmtpStatus&) const = default;
};

// The status of an error concerning a recipient (the usual case at RCPT and
// after DATA). kInvalid is a bad address (5.1.3); kLimit an alias that
// expands to too many destinations (5.5.3: permanent, where the
// transaction's own recipient limit is 452 4.5.3); kOverQuota a message the
// mailbox can never hold (5.2.2). kTemporary and kInternal are transient.
SmtpStatus status_of(ErrorKind kind);
inline SmtpStatus status_of(const Error& e) { return status_of(e.kind()); }

// Conditions of delivery that no ErrorKind names, with their statuses.
inline constexpr SmtpStatus kMailboxFullForNow{452, "4.2.2"};   // the owner may make room
inline constexpr SmtpStatus kMailboxPathRefused{451, "4.3.5"};  // the directory's mistake
inline constexpr SmtpStatus kMailboxWriteFailed{451, "4.3.0"};  // Maildir write failed
inline constexpr SmtpStatus kWaitingForRelay{451, "4.4.0"};     // no outbound relay yet
inline constexpr SmtpStatus kDeliveryExpired{451, "4.4.7"};     // given up after retries
// The transaction's own recipient limit (RFC 5321 4.5.3.1.8): the client
// sends the rest in another transaction.
inline constexpr SmtpStatus kTooManyRecipients{452, "4.5.3"};

// "550 5.1.1 text": a status and its text on one line, the form in which the
// queue records a recipient's last error and bounce_status() reads it back.
std::string status_line(SmtpStatus status, std::string_view text);
// The error's status and its message (never its detail, which is for the log).
std::string status_line(const Error& e);

// RCPT's reply to a recipient's error: the status from the table, and words
// that say what the sender may act on. A temporary error's message is written
// for the client ("mail for postmaster has nowhere to go..."); every other
// message and every detail stays in the log.
Reply rcpt_reply(const Error& e, std::string_view address);

}  // namespace hm::smtp::proto
