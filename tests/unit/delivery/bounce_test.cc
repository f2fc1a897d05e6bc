#include "delivery/bounce.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hm::delivery {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const std::string kOriginal =
    "Received: from client ([192.0.2.1])\r\n"
    "\tby mx.example (hostmail) with ESMTP id 1.2.3; Thu, 1 Jan 1970 00:00:00 +0000\r\n"
    "From: Alice <alice@example.org>\r\n"
    "Subject: quarterly report\r\n"
    "\r\n"
    "the secret body\r\n";

BounceInfo sample() {
  BounceInfo info;
  info.hostname = "mx.example";
  info.sender = "alice@example.org";
  info.message_id = "1700000000.42.1.bounce@mx.example";
  info.arrival = system_clock::time_point(seconds(1700000000));
  info.date = system_clock::time_point(seconds(1700000600));
  info.recipients = {{"team@example.org", "bob", "550 5.1.1 no such local user bob"},
                     {"carol@example.org", "carol@example.org", "451 4.4.0 relay down"}};
  info.original = kOriginal;
  return info;
}

// The value of the first header field `name` in `text` (unfolded).
std::string field(const std::string& text, const std::string& name) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    if (text.compare(pos, name.size() + 1, name + ":") == 0) {
      std::string value = text.substr(pos + name.size() + 1, end - pos - name.size() - 1);
      while (end + 2 < text.size() && (text[end + 2] == '\t' || text[end + 2] == ' ')) {
        size_t next = text.find("\r\n", end + 2);
        value += text.substr(end + 2, next - end - 2);
        end = next;
      }
      size_t start = value.find_first_not_of(" \t");
      return start == std::string::npos ? "" : value.substr(start);
    }
    pos = end + 2;
  }
  return "";
}

std::string boundary_of(const std::string& message) {
  std::string type = field(message, "Content-Type");
  size_t b = type.find("boundary=\"");
  if (b == std::string::npos) return "";
  size_t start = b + 10;
  return type.substr(start, type.find('"', start) - start);
}

// The body parts between the delimiters (RFC 2046 5.1.1), each with its
// headers; the CRLF before a delimiter belongs to the delimiter.
std::vector<std::string> parts_of(const std::string& message) {
  std::string boundary = boundary_of(message);
  std::vector<std::string> parts;
  std::string delimiter = "\r\n--" + boundary;
  size_t pos = message.find(delimiter);
  while (pos != std::string::npos) {
    size_t start = pos + delimiter.size();
    if (message.compare(start, 2, "--") == 0) break;  // the close delimiter
    start += 2;                                       // CRLF after the boundary
    size_t next = message.find(delimiter, start);
    if (next == std::string::npos) break;
    parts.push_back(message.substr(start, next - start));
    pos = next;
  }
  return parts;
}

std::string body_of(const std::string& part) { return part.substr(part.find("\r\n\r\n") + 4); }

TEST(Bounce, TopLevelHeaders) {
  std::string m = compose_bounce(sample());
  EXPECT_EQ(field(m, "From"), "Mail Delivery System <MAILER-DAEMON@mx.example>");
  EXPECT_EQ(field(m, "To"), "<alice@example.org>");
  EXPECT_EQ(field(m, "Subject"), "Undelivered Mail Returned to Sender");
  EXPECT_EQ(field(m, "Date"), "Tue, 14 Nov 2023 22:23:20 +0000");
  EXPECT_EQ(field(m, "Message-ID"), "<1700000000.42.1.bounce@mx.example>");
  EXPECT_EQ(field(m, "Auto-Submitted"), "auto-replied");
  EXPECT_EQ(field(m, "MIME-Version"), "1.0");
  std::string type = field(m, "Content-Type");
  EXPECT_EQ(type.rfind("multipart/report;", 0), 0u) << type;
  EXPECT_NE(type.find("report-type=delivery-status"), std::string::npos) << type;
  EXPECT_FALSE(boundary_of(m).empty());
}

TEST(Bounce, EveryLineEndsInCrlf) {
  std::string m = compose_bounce(sample());
  ASSERT_GE(m.size(), 2u);
  EXPECT_EQ(m.substr(m.size() - 2), "\r\n");
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n') {
      EXPECT_TRUE(i > 0 && m[i - 1] == '\r') << "bare LF at " << i;
    }
    if (m[i] == '\r') {
      EXPECT_TRUE(i + 1 < m.size() && m[i + 1] == '\n') << "bare CR at " << i;
    }
  }
}

TEST(Bounce, ThreePartsInTheOrderOfRfc6522) {
  std::string m = compose_bounce(sample());
  auto parts = parts_of(m);
  ASSERT_EQ(parts.size(), 3u) << m;
  EXPECT_EQ(field(parts[0], "Content-Type"), "text/plain; charset=us-ascii");
  EXPECT_EQ(field(parts[1], "Content-Type"), "message/delivery-status");
  EXPECT_EQ(field(parts[2], "Content-Type"), "text/rfc822-headers");
  EXPECT_NE(m.find("\r\n--" + boundary_of(m) + "--\r\n"), std::string::npos);
}

TEST(Bounce, NoticeNamesEachRecipientAndWhy) {
  auto parts = parts_of(compose_bounce(sample()));
  ASSERT_EQ(parts.size(), 3u);
  std::string notice = body_of(parts[0]);
  EXPECT_NE(notice.find("mx.example"), std::string::npos);
  EXPECT_NE(notice.find("<bob@mx.example> (expanded from <team@example.org>)"), std::string::npos)
      << notice;
  EXPECT_NE(notice.find("550 5.1.1 no such local user bob"), std::string::npos);
  EXPECT_NE(notice.find("<carol@example.org>:"), std::string::npos);
  EXPECT_EQ(notice.find("expanded from <carol"), std::string::npos);
  EXPECT_NE(notice.find("expired"), std::string::npos);
  EXPECT_NE(notice.find("451 4.4.0 relay down"), std::string::npos);
}

TEST(Bounce, DeliveryStatusFields) {
  auto parts = parts_of(compose_bounce(sample()));
  ASSERT_EQ(parts.size(), 3u);
  std::string report = body_of(parts[1]);
  const std::string expected =
      "Reporting-MTA: dns; mx.example\r\n"
      "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
      "\r\n"
      "Original-Recipient: rfc822;team@example.org\r\n"
      "Final-Recipient: rfc822;bob@mx.example\r\n"
      "Action: failed\r\n"
      "Status: 5.1.1\r\n"
      "Diagnostic-Code: smtp; 550 5.1.1 no such local user bob\r\n"
      "\r\n"
      "Original-Recipient: rfc822;carol@example.org\r\n"
      "Final-Recipient: rfc822;carol@example.org\r\n"
      "Action: failed\r\n"
      "Status: 4.4.7\r\n"
      "Diagnostic-Code: smtp; 451 4.4.0 relay down\r\n";
  EXPECT_EQ(report, expected);
}

TEST(Bounce, ReturnsTheHeaderSectionNotTheBody) {
  std::string m = compose_bounce(sample());
  auto parts = parts_of(m);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(body_of(parts[2]), kOriginal.substr(0, kOriginal.find("\r\n\r\n") + 2));
  EXPECT_EQ(m.find("the secret body"), std::string::npos);
}

TEST(Bounce, BoundaryNeverOccursInTheContent) {
  BounceInfo info = sample();
  std::string first = boundary_of(compose_bounce(info));
  // An original whose headers carry exactly the boundary we would choose.
  std::string hostile = "X-Trap: " + first + "\r\nX-Trap2: " + first + "-1\r\n\r\nbody\r\n";
  info.original = hostile;
  std::string m = compose_bounce(info);
  std::string boundary = boundary_of(m);
  EXPECT_NE(boundary, first);
  EXPECT_NE(boundary, first + "-1");
  auto parts = parts_of(m);
  ASSERT_EQ(parts.size(), 3u);
  for (const std::string& part : parts) EXPECT_EQ(part.find(boundary), std::string::npos);
  EXPECT_NE(body_of(parts[2]).find("X-Trap2: " + first + "-1"), std::string::npos);
}

TEST(Bounce, LongHeaderSectionIsCutAtAFieldBoundary) {
  std::string original;
  for (int i = 0; original.size() < 3 * kMaxReturnedHeaderBytes; ++i) {
    original += "X-Long-" + std::to_string(i) + ": " + std::string(300, 'a') + "\r\n";
    original += "\t" + std::string(300, 'b') + "\r\n";  // folded continuation
  }
  original += "\r\nbody\r\n";
  BounceInfo info = sample();
  info.original = original;
  std::string m = compose_bounce(info);
  auto parts = parts_of(m);
  ASSERT_EQ(parts.size(), 3u);
  std::string headers = body_of(parts[2]);
  EXPECT_LE(headers.size(), kMaxReturnedHeaderBytes);
  EXPECT_GT(headers.size(), kMaxReturnedHeaderBytes / 2);
  // Whole fields only: it is a prefix of the original and what follows it
  // there starts a new field.
  ASSERT_EQ(original.compare(0, headers.size(), headers), 0);
  EXPECT_EQ(original.compare(headers.size(), 7, "X-Long-"), 0);
  EXPECT_NE(body_of(parts[0]).find("shortened"), std::string::npos);
}

TEST(Bounce, HeaderSectionEdgeCases) {
  bool cut = true;
  EXPECT_EQ(header_section("A: 1\nB: 2\n\nbody\n", 1000, &cut), "A: 1\r\nB: 2\r\n");
  EXPECT_FALSE(cut);
  EXPECT_EQ(header_section("A: 1\r\nB: 2", 1000), "A: 1\r\nB: 2\r\n");  // no body at all
  EXPECT_EQ(header_section("\r\nbody only\r\n", 1000), "");
  EXPECT_EQ(header_section("", 1000), "");
  // One field larger than the limit: cut at a line, never mid-line.
  EXPECT_EQ(header_section("A: 1\r\n 22\r\n 333\r\n\r\n", 14, &cut), "A: 1\r\n 22\r\n");
  EXPECT_TRUE(cut);
  // A later field that does not fit whole is left out whole.
  EXPECT_EQ(header_section("A: 1\r\nB: 2\r\n 22\r\n\r\n", 14), "A: 1\r\n");
}

TEST(Bounce, StatusFromTheStoredError) {
  EXPECT_EQ(bounce_status("550 5.1.1 no such user"), "5.1.1");
  EXPECT_EQ(bounce_status("552 5.2.2 mailbox full"), "5.2.2");
  EXPECT_EQ(bounce_status("5.7.1 refused"), "5.7.1");
  EXPECT_EQ(bounce_status("451 4.4.0 waiting"), "4.4.7");
  EXPECT_EQ(bounce_status("451 try later"), "4.4.7");
  EXPECT_EQ(bounce_status("554 no enhanced code"), "5.0.0");
  EXPECT_EQ(bounce_status("it broke"), "5.0.0");
  EXPECT_EQ(bounce_status(""), "5.0.0");
}

TEST(Bounce, Utf8TextTravelsAs8bit) {
  BounceInfo info = sample();
  info.recipients = {{"j\xc3\xbcrgen@example.org", "j\xc3\xbcrgen@example.org", "550 5.1.1 gone"}};
  auto parts = parts_of(compose_bounce(info));
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(field(parts[0], "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(field(parts[0], "Content-Transfer-Encoding"), "8bit");
}

TEST(Bounce, Rfc5322Date) {
  EXPECT_EQ(rfc5322_date(system_clock::time_point(seconds(0))), "Thu, 1 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(system_clock::time_point(seconds(1700000000))),
            "Tue, 14 Nov 2023 22:13:20 +0000");
}

}  // namespace
}  // namespace hm::delivery
