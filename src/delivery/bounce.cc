#include "delivery/bounce.h"

#include <ctime>

#include <fmt/format.h>

#include "smtp/proto/error_status.h"

namespace hm::delivery {
namespace {

constexpr std::string_view kCrlf = "\r\n";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "d.ddd.ddd" with 1-3 digits in the last two fields (RFC 3463).
bool is_enhanced_code(std::string_view s) {
  if (s.size() < 5 || !is_digit(s[0]) || s[1] != '.') return false;
  size_t dot = s.find('.', 2);
  if (dot == std::string_view::npos) return false;
  auto digits = [](std::string_view part) {
    if (part.empty() || part.size() > 3) return false;
    for (char c : part) {
      if (!is_digit(c)) return false;
    }
    return true;
  };
  return digits(s.substr(2, dot - 2)) && digits(s.substr(dot + 1));
}

bool has_8bit(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

// Part headers for text we wrote: plain ASCII unless an address or an error
// text carried UTF-8 (SMTPUTF8 mail), which then travels as 8bit.
std::string part_headers(std::string_view content_type, std::string_view description,
                         std::string_view body, bool text) {
  std::string h = fmt::format("Content-Type: {}", content_type);
  if (text) h += has_8bit(body) ? "; charset=utf-8" : "; charset=us-ascii";
  h += kCrlf;
  h += fmt::format("Content-Description: {}{}", description, kCrlf);
  if (has_8bit(body)) h += fmt::format("Content-Transfer-Encoding: 8bit{}", kCrlf);
  return h;
}

// A local destination is a bare user name; in the report it is an address
// of this host, as RFC 3464's rfc822 address type requires.
std::string as_address(const std::string& destination, const std::string& hostname) {
  if (destination.find('@') != std::string::npos) return destination;
  return destination + "@" + hostname;
}

// Status of a recipient given up on after retries (the one table's).
constexpr std::string_view kExpired = smtp::proto::kDeliveryExpired.enhanced;

bool expired(std::string_view status) { return status == kExpired; }

std::string boundary_base(std::string_view message_id) {
  std::string out;
  for (char c : message_id) {
    if (out.size() >= 50) break;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' || c == '-') {
      out += c;
    }
  }
  return out.empty() ? std::string("report") : out;
}

}  // namespace

std::string bounce_status(std::string_view error) {
  // Words of "550 5.1.1 text": an optional reply code, then the enhanced code.
  size_t start = 0;
  for (int word = 0; word < 2 && start < error.size(); ++word) {
    while (start < error.size() && error[start] == ' ') ++start;
    size_t end = error.find(' ', start);
    if (end == std::string_view::npos) end = error.size();
    std::string_view token = error.substr(start, end - start);
    if (is_enhanced_code(token)) {
      if (token[0] == '5') return std::string(token);
      if (token[0] == '4') return std::string(kExpired);
      break;
    }
    if (token.size() == 3 && is_digit(token[0]) && is_digit(token[1]) && is_digit(token[2])) {
      if (token[0] == '4') return std::string(kExpired);
      start = end;
      continue;
    }
    break;
  }
  return "5.0.0";
}

std::string rfc5322_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  return fmt::format("{}, {} {} {} {:02}:{:02}:{:02} +0000", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string header_section(std::string_view message, size_t limit, bool* cut) {
  std::string out;
  size_t field_start = 0;  // where in `out` the field being copied began
  bool shortened = false;
  for (size_t pos = 0; pos < message.size();) {
    size_t nl = message.find('\n', pos);
    size_t next = nl == std::string_view::npos ? message.size() : nl + 1;
    std::string_view line = message.substr(pos, (nl == std::string_view::npos ? next : nl) - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // the end of the header section
    bool continuation = line.front() == ' ' || line.front() == '\t';
    if (out.size() + line.size() + kCrlf.size() > limit) {
      // Never keep half a field: drop the field whose continuation no longer
      // fits, unless that would leave nothing at all.
      if (continuation && field_start > 0) out.resize(field_start);
      shortened = true;
      break;
    }
    if (!continuation) field_start = out.size();
    out += line;
    out += kCrlf;
    pos = next;
  }
  if (cut) *cut = shortened;
  return out;
}

std::string compose_bounce(const BounceInfo& info) {
  bool cut = false;
  const std::string headers = header_section(info.original, kMaxReturnedHeaderBytes, &cut);

  // Part 1: for the person.
  std::string notice;
  notice += fmt::format("This is the mail system at {}.{}{}", info.hostname, kCrlf, kCrlf);
  notice += fmt::format(
      "Your message could not be delivered to one or more of its recipients. The{}"
      "server accepted it, but delivering it failed for good afterwards, or was{}"
      "given up after trying for too long. Each failed recipient is listed below{}"
      "with the reason. The headers of your message are attached; the body is not.{}{}",
      kCrlf, kCrlf, kCrlf, kCrlf, kCrlf);
  for (const BouncedRecipient& r : info.recipients) {
    std::string who = "<" + as_address(r.final, info.hostname) + ">";
    if (!r.original.empty() && r.original != r.final) {
      who += " (expanded from <" + r.original + ">)";
    }
    std::string status = bounce_status(r.error);
    std::string why = expired(status)
                          ? "delivery time expired, gave up; the last error was: " + r.error
                          : r.error;
    notice += fmt::format("{}:{}    {}{}{}", who, kCrlf, why, kCrlf, kCrlf);
  }
  if (cut) {
    notice += fmt::format(
        "The header section of your message was longer than {} bytes and{}"
        "is returned shortened.{}",
        kMaxReturnedHeaderBytes, kCrlf, kCrlf);
  }

  // Part 2: for programs (RFC 3464 section 2).
  std::string report;
  report += fmt::format("Reporting-MTA: dns; {}{}", info.hostname, kCrlf);
  report += fmt::format("Arrival-Date: {}{}", rfc5322_date(info.arrival), kCrlf);
  for (const BouncedRecipient& r : info.recipients) {
    report += kCrlf;
    if (!r.original.empty())
      report += fmt::format("Original-Recipient: rfc822;{}{}", r.original, kCrlf);
    report +=
        fmt::format("Final-Recipient: rfc822;{}{}", as_address(r.final, info.hostname), kCrlf);
    report += fmt::format("Action: failed{}", kCrlf);
    report += fmt::format("Status: {}{}", bounce_status(r.error), kCrlf);
    report += fmt::format("Diagnostic-Code: smtp; {}{}", r.error, kCrlf);
  }

  // A boundary that occurs in no part (RFC 2046 5.1.1); the "=_" start
  // cannot occur in quoted-printable or base64, so one try nearly always does.
  const std::string base = "=_hostmail-report-" + boundary_base(info.message_id);
  std::string boundary = base;
  for (unsigned n = 1;
       notice.find(boundary) != std::string::npos || report.find(boundary) != std::string::npos ||
       headers.find(boundary) != std::string::npos;
       ++n) {
    boundary = fmt::format("{}-{}", base, n);
  }

  std::string out;
  out.reserve(notice.size() + report.size() + headers.size() + 1024);
  out += fmt::format("From: Mail Delivery System <MAILER-DAEMON@{}>{}", info.hostname, kCrlf);
  out += fmt::format("To: <{}>{}", info.sender, kCrlf);
  out += fmt::format("Subject: Undelivered Mail Returned to Sender{}", kCrlf);
  out += fmt::format("Date: {}{}", rfc5322_date(info.date), kCrlf);
  out += fmt::format("Message-ID: <{}>{}", info.message_id, kCrlf);
  out += fmt::format("Auto-Submitted: auto-replied{}", kCrlf);
  out += fmt::format("MIME-Version: 1.0{}", kCrlf);
  out += fmt::format("Content-Type: multipart/report; report-type=delivery-status;{}", kCrlf);
  out += fmt::format("\tboundary=\"{}\"{}", boundary, kCrlf);
  out += kCrlf;
  out += fmt::format("This is a MIME-encapsulated message.{}{}", kCrlf, kCrlf);

  out += fmt::format("--{}{}", boundary, kCrlf);
  out += part_headers("text/plain", "Notification", notice, true);
  out += kCrlf;
  out += notice;

  out += fmt::format("{}--{}{}", kCrlf, boundary, kCrlf);
  out += part_headers("message/delivery-status", "Delivery report", report, false);
  out += kCrlf;
  out += report;

  out += fmt::format("{}--{}{}", kCrlf, boundary, kCrlf);
  out += part_headers("text/rfc822-headers", "Undelivered Message Headers", headers, false);
  out += kCrlf;
  out += headers;
  out += fmt::format("{}--{}--{}", kCrlf, boundary, kCrlf);
  return out;
}

}  // namespace hm::delivery
