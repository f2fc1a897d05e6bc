#pragma once
// Bounces: the delivery status notification (RFC 3464, in an RFC 6522
// multipart/report) that tells a sender which recipients of an accepted
// message failed for good, and why.
//
// compose_bounce() only builds the text; sending it (with the null sender,
// so that a bounce is never bounced: RFC 5321 4.5.5) and deciding when is the
// DeliveryAgent's job. It returns the whole message, CRLF line ends, in
// three parts: a human-readable notice, the message/delivery-status report,
// and the original message's header section as text/rfc822-headers (not the
// body, so that returned mail does not fill mailboxes).
//
// Pure functions, no I/O, no clock: thread-safe, and the same input gives the
// same bytes.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace hm::delivery {

struct BouncedRecipient {
  std::string original;  // the RCPT TO address the recipient came from
  std::string final;     // the destination that failed: an address, or a local user name
  // The error as the queue stores it: "550 5.1.1 text" for a permanent
  // failure; a temporary one ("451 4.4.0 text") means delivery was given up
  // after Queue::kGiveUpAfter (Status 4.4.7).
  std::string error;
};

struct BounceInfo {
  std::string hostname;    // this server: MAILER-DAEMON@<hostname>, Reporting-MTA
  std::string sender;      // the original envelope sender, whom the bounce goes to
  std::string message_id;  // for Message-ID:, without <>; unique (the caller makes it)
  std::chrono::system_clock::time_point arrival;  // when the original was accepted
  std::chrono::system_clock::time_point date;     // when the bounce is made
  std::vector<BouncedRecipient> recipients;       // at least one
  std::string_view original;  // the original message as received (CRLF; LF is tolerated)
};

// The header section of a returned message is cut to at most this many bytes
// (at a field boundary where possible).
inline constexpr size_t kMaxReturnedHeaderBytes = 64 * 1024;

// The whole bounce message, CRLF line ends, ready for DeliveryAgent::deliver.
std::string compose_bounce(const BounceInfo& info);

// RFC 3463 status for a failed recipient's stored error: the enhanced code of
// a permanent error ("550 5.1.1 ..." -> "5.1.1"), "4.4.7" (delivery time
// expired) for a temporary one, "5.0.0" when the text carries no code.
std::string bounce_status(std::string_view error);

// RFC 5322 date-time in UTC: "Wed, 25 Nov 2026 15:42:24 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point t);

// The header section of `message` (up to, not including, the empty line),
// CRLF line ends, at most `limit` bytes; `cut` tells whether it was shortened.
std::string header_section(std::string_view message, size_t limit, bool* cut = nullptr);

}  // namespace hm::delivery
