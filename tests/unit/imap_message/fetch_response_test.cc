#include "imap/message/fetch_response.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/line_ends.h"
#include "base/strings.h"
#include "fake_mailbox.h"
#include "imap/message/fetch_section.h"
#include "imap/proto/command_parser.h"
#include "mime/message.h"

namespace hm::imap {
namespace {

using testing::FakeMailbox;
using Item = proto::FetchAtt::Item;

// RFC 3501 7.4.2's example message (its header; a short body).
const std::string kRfcMessage =
    "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\n"
    "From: Terry Gray <gray@cac.washington.edu>\n"
    "Subject: IMAP4rev1 WG mtg summary and minutes\n"
    "To: imap@cac.washington.edu\n"
    "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\n"
    "Message-Id: <B27397-0100000@cac.washington.edu>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n"
    "\n"
    "Hello all,\n"
    "the minutes follow.\n";

const std::string kRfcEnvelope =
    "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" "
    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
    "((NIL NIL \"imap\" \"cac.washington.edu\")) "
    "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) "
    "NIL NIL \"<B27397-0100000@cac.washington.edu>\")";

const std::string kMultipart =
    "From: a@example.com\n"
    "Subject: parts\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "preamble\n"
    "--outer\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Gr=C3=BC=C3=9Fe,=\n"
    " soft break\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: b@example.com\n"
    "Subject: inner\n"
    "Content-Type: multipart/alternative; boundary=inner\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain\n"
    "\n"
    "inner plain\n"
    "--inner\n"
    "Content-Type: text/html\n"
    "\n"
    "<b>inner</b>\n"
    "--inner--\n"
    "--outer\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "AAECAw==\n"
    "--outer\n"
    "Content-Type: application/x-thing\n"
    "Content-Transfer-Encoding: x-uuencode\n"
    "\n"
    "begin 644 x\n"
    "--outer--\n"
    "epilogue\n";

// Parses "FETCH 1 (<atts>)" with the real parser, so the tests say what a
// client sends.
std::vector<proto::FetchAtt> atts(const std::string& spec) {
  auto r = proto::parse_command("a FETCH 1 " + spec);
  auto* cmd = std::get_if<proto::Command>(&r);
  EXPECT_TRUE(cmd != nullptr) << spec;
  if (cmd == nullptr) return {};
  return std::get<proto::FetchArgs>(cmd->args).atts;
}

std::string fetch(FakeMailbox& box, uint32_t seq, const std::string& spec,
                  const FetchContext& ctx = {}) {
  std::string out;
  Status s = write_fetch(box, seq, atts(spec), ctx, out);
  EXPECT_TRUE(s) << (s ? "" : s.error().message());
  return out;
}

// The literal the CRLF form of `lf` gives.
std::string literal(const std::string& lf) {
  const std::string crlf = with_crlf(lf);
  return "{" + std::to_string(crlf.size()) + "}\r\n" + crlf;
}

// A string literal with NUL bytes in it.
template <size_t N>
std::string bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

class FetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 17-Jul-1996 09:23:25 UTC
    auto& m = box.add(kRfcMessage, store::kFlagSeen, 837595405);
    m.modseq = 12345;
    box.add(kMultipart, 0, 0);
    box.set_keywords({"$Forwarded"});
  }
  FakeMailbox box;
};

TEST_F(FetchTest, ItemsFromTheViewReadNothing) {
  box.meta()[0].keywords = 1;
  box.meta()[0].recent = true;
  EXPECT_EQ(fetch(box, 1, "(FLAGS UID RFC822.SIZE INTERNALDATE MODSEQ)"),
            "* 1 FETCH (FLAGS (\\Seen \\Recent $Forwarded) UID 1 RFC822.SIZE " +
                std::to_string(with_crlf(kRfcMessage).size()) +
                " INTERNALDATE \"17-Jul-1996 09:23:25 +0000\" MODSEQ (12345))\r\n");
  EXPECT_EQ(fetch(box, 2, "FAST"),
            "* 2 FETCH (FLAGS () INTERNALDATE \" 1-Jan-1970 00:00:00 +0000\" RFC822.SIZE " +
                std::to_string(with_crlf(kMultipart).size()) + ")\r\n");
  EXPECT_EQ(box.reads, 0);
}

TEST_F(FetchTest, ContextAddsUidFlagsAndModseqFirstAndItemsComeOnce) {
  FetchContext ctx;
  ctx.uid_command = true;
  EXPECT_EQ(fetch(box, 1, "(FLAGS)", ctx), "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n");
  EXPECT_EQ(fetch(box, 1, "(FLAGS UID)", ctx), "* 1 FETCH (FLAGS (\\Seen) UID 1)\r\n");
  ctx.condstore = true;
  ctx.flags_changed = true;
  EXPECT_EQ(fetch(box, 1, "(RFC822.SIZE)", ctx).substr(0, 53),
            "* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (12345) RFC822.");
  EXPECT_EQ(fetch(box, 1, "(UID UID FLAGS MODSEQ FLAGS)", {}),
            "* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (12345))\r\n");
}

TEST_F(FetchTest, EnvelopeAsRfc3501ShowsItAndAWarmFetchReadsNothing) {
  EXPECT_EQ(fetch(box, 1, "ENVELOPE"), "* 1 FETCH (ENVELOPE " + kRfcEnvelope + ")\r\n");
  EXPECT_EQ(box.reads, 1);
  EXPECT_EQ((box.cache_map()[{1, "envelope"}]), kRfcEnvelope);
  // Warm: from the cache; the counting fake shows no read.
  EXPECT_EQ(fetch(box, 1, "ENVELOPE"), "* 1 FETCH (ENVELOPE " + kRfcEnvelope + ")\r\n");
  EXPECT_EQ(box.reads, 1);
}

TEST_F(FetchTest, BodyAndBodystructureAreCachedToo) {
  const std::string body = "(\"text\" \"plain\" (\"charset\" \"US-ASCII\") NIL NIL \"7bit\" 33 2)";
  const std::string bodystructure =
      "(\"text\" \"plain\" (\"charset\" \"US-ASCII\") NIL NIL \"7bit\" 33 2 NIL NIL NIL NIL)";
  EXPECT_EQ(fetch(box, 1, "(BODY BODYSTRUCTURE)"),
            "* 1 FETCH (BODY " + body + " BODYSTRUCTURE " + bodystructure + ")\r\n");
  EXPECT_EQ(box.reads, 1);
  EXPECT_EQ(fetch(box, 1, "FULL"),
            "* 1 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 09:23:25 +0000\" RFC822.SIZE " +
                std::to_string(with_crlf(kRfcMessage).size()) + " ENVELOPE " + kRfcEnvelope +
                " BODY " + body + ")\r\n");
  EXPECT_EQ(box.reads, 2);  // the ENVELOPE was not cached yet
  EXPECT_EQ(fetch(box, 1, "(BODYSTRUCTURE ENVELOPE BODY)"),
            "* 1 FETCH (BODYSTRUCTURE " + bodystructure + " ENVELOPE " + kRfcEnvelope + " BODY " +
                body + ")\r\n");
  EXPECT_EQ(box.reads, 2);
}

TEST_F(FetchTest, WholeMessageHeaderAndTextInCrlf) {
  const size_t split = kRfcMessage.find("\n\n") + 2;
  const std::string header = kRfcMessage.substr(0, split);
  const std::string text = kRfcMessage.substr(split);
  EXPECT_EQ(fetch(box, 1, "BODY[]"), "* 1 FETCH (BODY[] " + literal(kRfcMessage) + ")\r\n");
  EXPECT_EQ(fetch(box, 1, "BODY.PEEK[]"), "* 1 FETCH (BODY[] " + literal(kRfcMessage) + ")\r\n");
  EXPECT_EQ(fetch(box, 1, "RFC822"), "* 1 FETCH (RFC822 " + literal(kRfcMessage) + ")\r\n");
  EXPECT_EQ(fetch(box, 1, "BODY[HEADER]"), "* 1 FETCH (BODY[HEADER] " + literal(header) + ")\r\n");
  EXPECT_EQ(fetch(box, 1, "RFC822.HEADER"),
            "* 1 FETCH (RFC822.HEADER " + literal(header) + ")\r\n");
  EXPECT_EQ(fetch(box, 1, "BODY[TEXT]"), "* 1 FETCH (BODY[TEXT] " + literal(text) + ")\r\n");
  EXPECT_EQ(fetch(box, 1, "RFC822.TEXT"), "* 1 FETCH (RFC822.TEXT " + literal(text) + ")\r\n");
  // A single-part message is its own part 1 (RFC 3501 6.4.5).
  EXPECT_EQ(fetch(box, 1, "BODY[1]"), "* 1 FETCH (BODY[1] " + literal(text) + ")\r\n");
  EXPECT_EQ(fetch(box, 1, "BODY[1.MIME]"), "* 1 FETCH (BODY[1.MIME] " + literal(header) + ")\r\n");
  EXPECT_EQ(fetch(box, 1, "BODY[2]"), "* 1 FETCH (BODY[2] NIL)\r\n");
  EXPECT_EQ(fetch(box, 1, "BODY[1.HEADER]"), "* 1 FETCH (BODY[1.HEADER] NIL)\r\n");
}

TEST_F(FetchTest, MessageStoredWithCrlfIsSentAsItIs) {
  const std::string crlf = with_crlf(kRfcMessage);
  box.add(crlf);
  EXPECT_EQ(fetch(box, 3, "BODY[]"), "* 3 FETCH (BODY[] " + literal(kRfcMessage) + ")\r\n");
  EXPECT_EQ(fetch(box, 3, "BODY[]<10.20>"),
            "* 3 FETCH (BODY[]<10> {20}\r\n" + crlf.substr(10, 20) + ")\r\n");
}

TEST_F(FetchTest, PartialCountsCrlfOctetsAndPastTheEndIsEmpty) {
  const std::string crlf = with_crlf(kRfcMessage);
  const size_t lf_at = crlf.find("\r\n");
  // <origin.count> starting between the CR and LF of a converted line end.
  EXPECT_EQ(fetch(box, 1, "BODY[]<" + std::to_string(lf_at + 1) + ".5>"),
            "* 1 FETCH (BODY[]<" + std::to_string(lf_at + 1) + "> {5}\r\n" +
                crlf.substr(lf_at + 1, 5) + ")\r\n");
  EXPECT_EQ(fetch(box, 1, "BODY[]<0.4>"), "* 1 FETCH (BODY[]<0> {4}\r\nDate)\r\n");
  // A count past the end gives what there is (RFC 3501: "fewer octets").
  EXPECT_EQ(fetch(box, 1, "BODY[TEXT]<25.100>"),
            "* 1 FETCH (BODY[TEXT]<25> {8}\r\nollow.\r\n)\r\n");
  // An origin past the end gives the empty string.
  EXPECT_EQ(fetch(box, 1, "BODY[]<100000.10>"), "* 1 FETCH (BODY[]<100000> \"\")\r\n");
  EXPECT_EQ(fetch(box, 1, "BODY.PEEK[HEADER.FIELDS (SUBJECT)]<9.4>"),
            "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)]<9> {4}\r\nIMAP)\r\n");
}

TEST_F(FetchTest, HeaderFieldsAreSelectedInMessageOrderAndCached) {
  const std::string want = "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM X-NONE)] " +
                           literal(
                               "From: Terry Gray <gray@cac.washington.edu>\n"
                               "Subject: IMAP4rev1 WG mtg summary and minutes\n\n") +
                           ")\r\n";
  EXPECT_EQ(fetch(box, 1, "BODY.PEEK[HEADER.FIELDS (Subject From X-None)]"), want);
  EXPECT_EQ(box.reads, 1);
  EXPECT_TRUE(box.cache_map().count({1, "fields:FROM SUBJECT X-NONE"}));
  // Warm, and in another order: the same key, no read.
  EXPECT_EQ(fetch(box, 1, "BODY.PEEK[HEADER.FIELDS (From X-None Subject)]"),
            "* 1 FETCH (BODY[HEADER.FIELDS (FROM X-NONE SUBJECT)] " +
                literal("From: Terry Gray <gray@cac.washington.edu>\n"
                        "Subject: IMAP4rev1 WG mtg summary and minutes\n\n") +
                ")\r\n");
  EXPECT_EQ(box.reads, 1);
  const std::string nots = fetch(box, 1, "BODY[HEADER.FIELDS.NOT (Date From To Cc Message-ID)]");
  EXPECT_EQ(nots, "* 1 FETCH (BODY[HEADER.FIELDS.NOT (DATE FROM TO CC MESSAGE-ID)] " +
                      literal("Subject: IMAP4rev1 WG mtg summary and minutes\n"
                              "MIME-Version: 1.0\n"
                              "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n\n") +
                      ")\r\n");
  EXPECT_TRUE(box.cache_map().count({1, "fields.not:CC DATE FROM MESSAGE-ID TO"}));
  // No field selected: the empty line alone.
  EXPECT_EQ(fetch(box, 1, "BODY[HEADER.FIELDS (X-NONE)]"),
            "* 1 FETCH (BODY[HEADER.FIELDS (X-NONE)] {2}\r\n\r\n)\r\n");
}

TEST_F(FetchTest, PartsOfAMultipartAndOfAnEncapsulatedMessage) {
  EXPECT_EQ(fetch(box, 2, "BODY[1]"),
            "* 2 FETCH (BODY[1] " + literal("Gr=C3=BC=C3=9Fe,=\n soft break") + ")\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[1.MIME]"),
            "* 2 FETCH (BODY[1.MIME] " +
                literal("Content-Type: text/plain; charset=utf-8\n"
                        "Content-Transfer-Encoding: quoted-printable\n\n") +
                ")\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[2.MIME]"),
            "* 2 FETCH (BODY[2.MIME] " + literal("Content-Type: message/rfc822\n\n") + ")\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[2.HEADER]"),
            "* 2 FETCH (BODY[2.HEADER] " +
                literal("From: b@example.com\nSubject: inner\n"
                        "Content-Type: multipart/alternative; boundary=inner\n\n") +
                ")\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[2.HEADER.FIELDS (SUBJECT)]"),
            "* 2 FETCH (BODY[2.HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: inner\r\n\r\n)\r\n");
  const std::string inner_text =
      "--inner\nContent-Type: text/plain\n\ninner plain\n--inner\nContent-Type: text/html\n\n"
      "<b>inner</b>\n--inner--";
  EXPECT_EQ(fetch(box, 2, "BODY[2.TEXT]"),
            "* 2 FETCH (BODY[2.TEXT] " + literal(inner_text) + ")\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[2.1]"), "* 2 FETCH (BODY[2.1] " + literal("inner plain") + ")\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[2.2]"),
            "* 2 FETCH (BODY[2.2] " + literal("<b>inner</b>") + ")\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[2.2.MIME]"),
            "* 2 FETCH (BODY[2.2.MIME] " + literal("Content-Type: text/html\n\n") + ")\r\n");
  // Part 2.1 is no message/rfc822: no HEADER or TEXT of its own.
  EXPECT_EQ(fetch(box, 2, "BODY[2.1.HEADER]"), "* 2 FETCH (BODY[2.1.HEADER] NIL)\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[2.1.TEXT]"), "* 2 FETCH (BODY[2.1.TEXT] NIL)\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[1.TEXT]"), "* 2 FETCH (BODY[1.TEXT] NIL)\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[6]"), "* 2 FETCH (BODY[6] NIL)\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[2.3]"), "* 2 FETCH (BODY[2.3] NIL)\r\n");
  EXPECT_EQ(fetch(box, 2, "BODY[1.1]"), "* 2 FETCH (BODY[1.1] NIL)\r\n");
  // The multipart's own TEXT: preamble to epilogue.
  const std::string top = fetch(box, 2, "BODY[TEXT]");
  EXPECT_EQ(top.substr(0, 39),
            "* 2 FETCH (BODY[TEXT] {" +
                std::to_string(with_crlf(kMultipart.substr(kMultipart.find("\n\n") + 2)).size()) +
                "}\r\npreamble\r\n");
}

TEST_F(FetchTest, BinaryUndoesTheTransferEncoding) {
  EXPECT_EQ(fetch(box, 2, "BINARY[1]"),
            "* 2 FETCH (BINARY[1] {19}\r\nGr\xC3\xBC\xC3\x9F"
            "e, soft break)\r\n");
  // Content with NUL is sent as literal8 (RFC 3516 4.3).
  EXPECT_EQ(fetch(box, 2, "BINARY.PEEK[3]"), bytes("* 2 FETCH (BINARY[3] ~{4}\r\n\0\1\2\3)\r\n"));
  EXPECT_EQ(fetch(box, 2, "BINARY[3]<1.2>"), "* 2 FETCH (BINARY[3]<1> {2}\r\n\1\2)\r\n");
  EXPECT_EQ(fetch(box, 2, "BINARY[3]<0.1>"), bytes("* 2 FETCH (BINARY[3]<0> ~{1}\r\n\0)\r\n"));
  EXPECT_EQ(fetch(box, 2, "BINARY[3]<2.5>"), "* 2 FETCH (BINARY[3]<2> {2}\r\n\2\3)\r\n");
  EXPECT_EQ(fetch(box, 2, "BINARY[3]<9.5>"), "* 2 FETCH (BINARY[3]<9> \"\")\r\n");
  EXPECT_EQ(fetch(box, 2, "(BINARY.SIZE[1] BINARY.SIZE[3] BINARY.SIZE[2.1] BINARY.SIZE[9])"),
            "* 2 FETCH (BINARY.SIZE[1] 19 BINARY.SIZE[3] 4 BINARY.SIZE[2.1] 11 "
            "BINARY.SIZE[9] 0)\r\n");
  EXPECT_EQ(fetch(box, 2, "BINARY[2.1]"), "* 2 FETCH (BINARY[2.1] {11}\r\ninner plain)\r\n");
  EXPECT_EQ(fetch(box, 2, "BINARY[9]"), "* 2 FETCH (BINARY[9] NIL)\r\n");
  // BINARY[] is the whole message; a single-part message's part 1 its body.
  EXPECT_EQ(fetch(box, 1, "BINARY[]"), "* 1 FETCH (BINARY[] " + literal(kRfcMessage) + ")\r\n");
  EXPECT_EQ(fetch(box, 1, "BINARY[1]"),
            "* 1 FETCH (BINARY[1] " + literal("Hello all,\nthe minutes follow.\n") + ")\r\n");
}

TEST_F(FetchTest, BinaryOfAnUnknownEncodingIsUnknownCte) {
  for (const char* spec : {"(UID BINARY[4])", "BINARY.SIZE[4]"}) {
    std::string out = "before";
    Status s = write_fetch(box, 2, atts(spec), {}, out);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(s.error().message().rfind(kUnknownCte, 0), 0u) << s.error().message();
    EXPECT_NE(s.error().message().find("x-uuencode"), std::string::npos);
    EXPECT_EQ(out, "before");
  }
}

TEST_F(FetchTest, AnExpungedMessageIsNotFoundAndNothingIsWritten) {
  box.remove_file(2);
  std::string out;
  Status s = write_fetch(box, 2, atts("(FLAGS BODY[])"), {}, out);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(out, "");
  Status past = write_fetch(box, 3, atts("FLAGS"), {}, out);
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().kind(), ErrorKind::kNotFound);
  Status zero = write_fetch(box, 0, atts("FLAGS"), {}, out);
  EXPECT_FALSE(zero);
  // What needs no text is still answered.
  EXPECT_EQ(fetch(box, 2, "(UID FLAGS)"), "* 2 FETCH (UID 2 FLAGS ())\r\n");
}

TEST(FetchSetsSeen, BodyAndBinaryWithoutPeekAndRfc822AndRfc822Text) {
  EXPECT_TRUE(fetch_sets_seen(atts("BODY[]")));
  EXPECT_TRUE(fetch_sets_seen(atts("(FLAGS BODY[1.MIME])")));
  EXPECT_TRUE(fetch_sets_seen(atts("BINARY[1]")));
  EXPECT_TRUE(fetch_sets_seen(atts("RFC822")));
  EXPECT_TRUE(fetch_sets_seen(atts("RFC822.TEXT")));
  EXPECT_FALSE(fetch_sets_seen(atts("RFC822.HEADER")));
  EXPECT_FALSE(fetch_sets_seen(atts("(BODY.PEEK[] BINARY.PEEK[1] BINARY.SIZE[1])")));
  EXPECT_FALSE(fetch_sets_seen(atts("(ENVELOPE BODY BODYSTRUCTURE FLAGS RFC822.SIZE)")));
  EXPECT_FALSE(fetch_sets_seen(atts("ALL")));
}

}  // namespace
}  // namespace hm::imap

namespace hm::imap {
namespace {

std::string join(const std::string& prefix, size_t n) {
  return (prefix.empty() ? "" : prefix + ".") + std::to_string(n);
}

// The numbers of the parts inside p, whose own number is `number` ("" for
// a multipart root): a multipart's parts, or the message a message/rfc822
// part holds (its parts, or itself as part 1 when it is no multipart).
void part_paths(const mime::Part& p, const std::string& number, std::vector<std::string>& out) {
  const mime::Part* c = &p;
  if (p.is_message_rfc822() && !p.children.empty()) {
    c = &p.children[0];
  } else if (!p.is_multipart()) {
    return;
  }
  if (!c->is_multipart()) {
    const std::string path = join(number, 1);  // out.back() moves as out grows
    out.push_back(path);
    part_paths(*c, path, out);
    return;
  }
  for (size_t i = 0; i < c->children.size(); ++i) {
    const std::string path = join(number, i + 1);
    out.push_back(path);
    part_paths(c->children[i], path, out);
  }
}

// The part path "1.2" as numbers.
std::vector<uint32_t> numbers(const std::string& path) {
  std::vector<uint32_t> out;
  for (const auto& n : split(path, '.')) out.push_back(static_cast<uint32_t>(std::stoul(n)));
  return out;
}

// Checks that every literal's announced size is what follows it: after
// {n}\r\n and n octets comes " " or ")".
void expect_well_formed(const std::string& response) {
  size_t pos = 0;
  while ((pos = response.find("}\r\n", pos)) != std::string::npos) {
    const size_t open = response.rfind('{', pos);
    ASSERT_NE(open, std::string::npos);
    const size_t n = std::stoul(response.substr(open + 1, pos - open - 1));
    const size_t after = pos + 3 + n;
    ASSERT_LT(after, response.size());
    EXPECT_TRUE(response[after] == ' ' || response[after] == ')') << response;
    pos = after;
  }
  EXPECT_EQ(response.substr(response.size() - 3), ")\r\n");
}

// Every part of every sample message, stored with LF and with CRLF line
// ends: the same bytes go out, literals are as long as they say, and
// BODY[part] is the part's body in CRLF form.
TEST(FetchSamples, EveryPartTheSameWhateverTheStoredLineEnds) {
  size_t samples = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(HM_TEST_DATA_DIR) + "/mime")) {
    if (entry.path().extension() != ".eml") continue;
    SCOPED_TRACE(entry.path().filename().string());
    ++samples;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string lf = ss.str();
    FakeMailbox box;
    box.add(lf);
    box.add(with_crlf(lf));
    const mime::Message m = mime::Message::parse(lf);
    std::vector<std::string> paths;
    if (!m.root().is_multipart()) paths.push_back("1");
    part_paths(m.root(), paths.empty() ? "" : "1", paths);
    std::vector<std::string> specs = {"BODY.PEEK[]",        "BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]",
                                      "BODY.PEEK[]<7.100>", "RFC822.HEADER",     "BINARY.PEEK[]",
                                      "BODYSTRUCTURE",      "ENVELOPE"};
    for (const auto& p : paths) {
      for (const char* suffix : {"", ".MIME", ".HEADER", ".TEXT"}) {
        specs.push_back("BODY.PEEK[" + p + suffix + "]");
        specs.push_back("BODY.PEEK[" + p + suffix + "]<3.50>");
      }
      specs.push_back("BINARY.PEEK[" + p + "]");
      specs.push_back("BINARY.SIZE[" + p + "]");
      const mime::Part* part = m.find(numbers(p));
      ASSERT_NE(part, nullptr);
      const std::string body = fetch(box, 1, "BODY.PEEK[" + p + "]");
      const std::string want = with_crlf(m.text(part->body));
      EXPECT_EQ(body, "* 1 FETCH (BODY[" + p + "] " +
                          (want.empty() ? "\"\"" : literal(std::string(m.text(part->body)))) +
                          ")\r\n");
    }
    for (const auto& spec : specs) {
      SCOPED_TRACE(spec);
      std::string from_lf, from_crlf;
      Status a = write_fetch(box, 1, atts(spec), {}, from_lf);
      Status b = write_fetch(box, 2, atts(spec), {}, from_crlf);
      ASSERT_EQ(bool(a), bool(b));
      if (!a) {
        EXPECT_EQ(a.error().message().rfind(kUnknownCte, 0), 0u);
        continue;
      }
      expect_well_formed(from_lf);
      EXPECT_EQ(from_lf.substr(3), from_crlf.substr(3));  // after "* 1" and "* 2"
    }
  }
  EXPECT_GE(samples, 10u);
}

}  // namespace
}  // namespace hm::imap
