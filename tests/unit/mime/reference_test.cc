// Each sample message in tests/data/mime/ against its reference ENVELOPE,
// BODYSTRUCTURE and BODY (files <name>.envelope, .bodystructure, .body),
// character for character, read with LF (as in Maildir) and with CRLF line
// ends: the references hold CRLF sizes, so both must give the same.
// And RFC 3501's own examples (7.4.2), rebuilt as messages.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "base/line_ends.h"
#include "base/strings.h"
#include "mime/bodystructure.h"
#include "mime/envelope.h"

namespace hm::mime {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Reference, SamplesMatchTheirReferences) {
  const std::filesystem::path dir = std::filesystem::path(HM_TEST_DATA_DIR) / "mime";
  size_t checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".eml") continue;
    const std::string lf = read_file(entry.path());
    for (const std::string& text : {lf, with_crlf(lf)}) {
      SCOPED_TRACE(entry.path().filename().string() + (text == lf ? " (as stored)" : " (CRLF)"));
      const Message m = Message::parse(text);
      auto ref = [&](const char* ext) {
        auto p = entry.path();
        return read_file(p.replace_extension(ext));
      };
      EXPECT_EQ(envelope(m.text(m.root().header)), ref(".envelope"));
      EXPECT_EQ(bodystructure(m), ref(".bodystructure"));
      EXPECT_EQ(body(m), ref(".body"));
    }
    ++checked;
  }
  EXPECT_GE(checked, 11u);
}

// RFC 3501 7.4.2's ENVELOPE example, from the header it describes.
TEST(Reference, Rfc3501EnvelopeExample) {
  const std::string header =
      "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
      "From: Terry Gray <gray@cac.washington.edu>\r\n"
      "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
      "To: imap@cac.washington.edu\r\n"
      "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
      "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n";
  EXPECT_EQ(envelope(header),
            R"~(("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" )~"
            R"~((("Terry Gray" NIL "gray" "cac.washington.edu")) )~"
            R"~((("Terry Gray" NIL "gray" "cac.washington.edu")) )~"
            R"~((("Terry Gray" NIL "gray" "cac.washington.edu")) )~"
            R"~(((NIL NIL "imap" "cac.washington.edu")) )~"
            R"~(((NIL NIL "minutes" "CNRI.Reston.VA.US"))~"
            R"~(("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL )~"
            R"~("<B27397-0100000@cac.washington.edu>"))~");
}

// A part body of `octets` octets in `lines` CRLF-ended lines, then the line
// end that belongs to the delimiter that follows (RFC 2046 5.1.1).
std::string lines_of(size_t octets, size_t lines) {
  std::string out;
  const size_t per = octets / lines - 2;
  for (size_t i = 0; i + 1 < lines; ++i) out += std::string(per, 'a') + "\r\n";
  out += std::string(octets - out.size() - 2, 'a') + "\r\n";
  return out + "\r\n";
}

// RFC 3501 7.4.2's BODY example: a two-part message whose sizes and lines
// are as the example says. The RFC writes types in upper case where we keep
// the message's own case (lower here, as Dovecot does), so the comparison
// ignores ASCII case.
TEST(Reference, Rfc3501BodyExample) {
  const std::string text =
      "Content-Type: MULTIPART/MIXED; BOUNDARY=x\r\n\r\n--x\r\n"
      "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n" +
      lines_of(1152, 23) +
      "--x\r\n"
      "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII; NAME=cc.diff\r\n"
      "Content-ID: <960723163407.20117h@cac.washington.edu>\r\n"
      "Content-Description: Compiler diff\r\n"
      "Content-Transfer-Encoding: BASE64\r\n\r\n" +
      lines_of(4554, 73) + "--x--\r\n";
  const Message m = Message::parse(text);
  std::string got = body(m);
  EXPECT_EQ(ascii_lower(got),
            ascii_lower(R"~((("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23))~"
                        R"~(("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") )~"
                        R"~("<960723163407.20117h@cac.washington.edu>" "Compiler diff" )~"
                        R"~("BASE64" 4554 73) "MIXED"))~"));
}

}  // namespace
}  // namespace hm::mime
