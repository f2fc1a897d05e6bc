#include "imap/message/search.h"

#include <gtest/gtest.h>

#include "fake_mailbox.h"
#include "imap/proto/command_parser.h"

namespace hm::imap {
namespace {

using testing::FakeMailbox;
using Seqs = std::vector<uint32_t>;

// 2024-01-02 04:00:00 UTC and 2024-03-15 12:00:00 UTC.
constexpr int64_t kJan2 = 1704168000;
constexpr int64_t kMar15 = 1710504000;

// 1: encoded-word From and Subject, a Date the evening before its arrival.
const std::string kGreetings =
    "From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <j@example.de>\n"
    "To: Ann <ann@example.com>\n"
    "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgQmVybGlu?=\n"
    "Date: Mon, 1 Jan 2024 23:00:00 -0500\n"
    "\n"
    "The quick brown fox.\n";

// 2: a multipart: quoted-printable UTF-8 text, base64 HTML, a PDF.
const std::string kMultipart =
    "From: bob@example.org\n"
    "Cc: Carol <carol@example.org>\n"
    "Subject: Meeting notes\n"
    "Date: 15 Mar 2024 09:00 +0000\n"
    "Content-Type: multipart/mixed; boundary=b\n"
    "\n"
    "--b\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Wir treffen uns in der Hauptstra=C3=9Fe=\n"
    " 5.\n"
    "--b\n"
    "Content-Type: text/html\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "PHA+SGVsbG8gZnJvbSB0aGUgSFRNTCBwYXJ0PC9wPg==\n"
    "--b\n"
    "Content-Type: application/pdf\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "c2VjcmV0d29yZCBpbiBhIHBkZg==\n"
    "--b--\n";

// 5 (UIDs have a gap): no Date, a Bcc, RFC 2231 parameters.
const std::string kNoDate =
    "From: system@example.net\n"
    "Bcc: hidden@example.net\n"
    "X-Mailer: Foo Mailer 1.0\n"
    "X-Empty:\n"
    "Content-Type: application/octet-stream;\n"
    " name*=utf-8''r%C3%A9sum%C3%A9.bin\n"
    "\n"
    "AAAA\n";

// 6: Latin-1 text, and an encapsulated message.
const std::string kLatin1 =
    "From: cafe@example.fr\n"
    "Subject: menu\n"
    "Date: Sat, 16 Mar 2024 08:00:00 +0100\n"
    "Content-Type: multipart/mixed; boundary=m\n"
    "\n"
    "--m\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "Caf\xE9 cr\xE8me\n"
    "--m\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "Subject: Inner secret\n"
    "\n"
    "inner body words\n"
    "--m--\n";

// A search string as a client sends 8-bit text: a literal.
std::string lit(const std::string& s) { return "{" + std::to_string(s.size()) + "}\r\n" + s; }

struct Search {
  proto::SearchKey key;
  SearchContext ctx;
};

Search parse(const std::string& keys) {
  auto r = proto::parse_command("a SEARCH " + keys);
  auto* cmd = std::get_if<proto::Command>(&r);
  EXPECT_TRUE(cmd != nullptr) << keys;
  if (cmd == nullptr) return {};
  const auto& args = std::get<proto::SearchArgs>(cmd->args);
  return Search{args.key, SearchContext{args.charset}};
}

class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    box.set_keywords({"$Junk", "$Forwarded"});
    auto& m1 = box.add(kGreetings, store::kFlagSeen | store::kFlagAnswered, kJan2);
    m1.modseq = 10;
    auto& m2 = box.add(kMultipart, store::kFlagSeen, kMar15);
    m2.modseq = 20;
    m2.keywords = 2;
    auto& m5 = box.add(kNoDate, store::kFlagFlagged | store::kFlagDeleted | store::kFlagDraft,
                       kMar15 + 43200 - 1, 5);
    m5.keywords = 1;
    m5.recent = true;
    m5.modseq = 30;
    auto& m6 = box.add(kLatin1, 0, kMar15 + 43200, 6);
    m6.recent = true;
    m6.modseq = 5;
  }
  Seqs find(const std::string& keys) {
    const Search s = parse(keys);
    auto r = search(box, s.key, s.ctx);
    EXPECT_TRUE(r) << keys << ": " << (r ? "" : r.error().message());
    return r ? *r : Seqs{99};
  }
  FakeMailbox box;
};

TEST_F(SearchTest, FlagKeys) {
  EXPECT_EQ(find("ALL"), (Seqs{1, 2, 3, 4}));
  EXPECT_EQ(find("ANSWERED"), (Seqs{1}));
  EXPECT_EQ(find("UNANSWERED"), (Seqs{2, 3, 4}));
  EXPECT_EQ(find("DELETED"), (Seqs{3}));
  EXPECT_EQ(find("UNDELETED"), (Seqs{1, 2, 4}));
  EXPECT_EQ(find("DRAFT"), (Seqs{3}));
  EXPECT_EQ(find("UNDRAFT"), (Seqs{1, 2, 4}));
  EXPECT_EQ(find("FLAGGED"), (Seqs{3}));
  EXPECT_EQ(find("UNFLAGGED"), (Seqs{1, 2, 4}));
  EXPECT_EQ(find("SEEN"), (Seqs{1, 2}));
  EXPECT_EQ(find("UNSEEN"), (Seqs{3, 4}));
  EXPECT_EQ(find("RECENT"), (Seqs{3, 4}));
  EXPECT_EQ(find("OLD"), (Seqs{1, 2}));
  box.meta()[3].flags = store::kFlagSeen;
  EXPECT_EQ(find("NEW"), (Seqs{3}));  // RECENT UNSEEN
  EXPECT_EQ(box.reads, 0);
}

TEST_F(SearchTest, KeywordsByNameInAnyCase) {
  EXPECT_EQ(find("KEYWORD $Junk"), (Seqs{3}));
  EXPECT_EQ(find("KEYWORD $junk"), (Seqs{3}));
  EXPECT_EQ(find("KEYWORD $FORWARDED"), (Seqs{2}));
  EXPECT_EQ(find("UNKEYWORD $Junk"), (Seqs{1, 2, 4}));
  // A keyword the mailbox never had: no message has it.
  EXPECT_EQ(find("KEYWORD NoSuch"), (Seqs{}));
  EXPECT_EQ(find("UNKEYWORD NoSuch"), (Seqs{1, 2, 3, 4}));
}

TEST_F(SearchTest, SizesAndModseq) {
  const uint64_t size2 = box.meta()[1].size;
  EXPECT_EQ(find("LARGER " + std::to_string(size2 - 1)), (Seqs{2}));
  EXPECT_EQ(find("LARGER " + std::to_string(size2)), (Seqs{}));
  EXPECT_EQ(find("SMALLER " + std::to_string(size2)), (Seqs{1, 3, 4}));
  EXPECT_EQ(find("MODSEQ 20"), (Seqs{2, 3}));
  EXPECT_EQ(find("MODSEQ \"/flags/\\\\seen\" all 11"), (Seqs{2, 3}));
  EXPECT_EQ(find("MODSEQ 1"), (Seqs{1, 2, 3, 4}));
  EXPECT_TRUE(search_uses_modseq(parse("OR SEEN NOT MODSEQ 5").key));
  EXPECT_FALSE(search_uses_modseq(parse("OR SEEN NOT UID 5").key));
}

TEST_F(SearchTest, SequenceAndUidSetsWithStar) {
  EXPECT_EQ(find("2:3"), (Seqs{2, 3}));
  EXPECT_EQ(find("*"), (Seqs{4}));
  EXPECT_EQ(find("3:*"), (Seqs{3, 4}));
  EXPECT_EQ(find("*:3"), (Seqs{3, 4}));
  EXPECT_EQ(find("1,4"), (Seqs{1, 4}));
  EXPECT_EQ(find("9"), (Seqs{}));
  EXPECT_EQ(find("UID 5"), (Seqs{3}));
  EXPECT_EQ(find("UID 2:5"), (Seqs{2, 3}));
  EXPECT_EQ(find("UID *"), (Seqs{4}));
  EXPECT_EQ(find("UID 3:4"), (Seqs{}));
  // "n:*" with n past the last UID is the last message (RFC 3501 6.4.8).
  EXPECT_EQ(find("UID 100:*"), (Seqs{4}));
  FakeMailbox empty;
  const Search s = parse("UID 1:*");
  auto r = search(empty, s.key, s.ctx);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
}

TEST_F(SearchTest, InternalDatesByDayInUtc) {
  EXPECT_EQ(find("ON 2-Jan-2024"), (Seqs{1}));
  EXPECT_EQ(find("ON 15-Mar-2024"), (Seqs{2, 3}));  // 12:00:00 and 23:59:59
  EXPECT_EQ(find("ON 16-Mar-2024"), (Seqs{4}));     // 00:00:00
  EXPECT_EQ(find("BEFORE 15-Mar-2024"), (Seqs{1}));
  EXPECT_EQ(find("SINCE 15-Mar-2024"), (Seqs{2, 3, 4}));
  EXPECT_EQ(find("SINCE 16-Mar-2024"), (Seqs{4}));
  EXPECT_EQ(find("BEFORE 1-Jan-2024"), (Seqs{}));
  EXPECT_EQ(box.reads, 0);
}

TEST_F(SearchTest, SentDatesFromTheDateFieldAsWritten) {
  // Message 1 was written on 1 Jan (its zone's day), arrived on 2 Jan UTC.
  EXPECT_EQ(find("SENTON 1-Jan-2024"), (Seqs{1}));
  EXPECT_EQ(find("SENTBEFORE 15-Mar-2024"), (Seqs{1}));
  EXPECT_EQ(find("SENTSINCE 15-Mar-2024"), (Seqs{2, 4}));
  EXPECT_EQ(find("SENTON 16-Mar-2024"), (Seqs{4}));
  // Message 3 has no Date: it matches no SENT* key, and NOT of one.
  EXPECT_EQ(find("NOT SENTBEFORE 1-Jan-2100"), (Seqs{3}));
}

TEST_F(SearchTest, AddressAndSubjectKeysDecodeEncodedWords) {
  EXPECT_EQ(find("FROM " + lit("m\xC3\xBCller")), (Seqs{1}));
  EXPECT_EQ(find("CHARSET UTF-8 FROM " + lit("J\xC3\x9CRGEN M\xC3\x9CLLER")), (Seqs{1}));
  EXPECT_EQ(find("FROM example.org"), (Seqs{2}));
  EXPECT_EQ(find("FROM EXAMPLE"), (Seqs{1, 2, 3, 4}));
  EXPECT_EQ(find("TO ann"), (Seqs{1}));
  EXPECT_EQ(find("CC carol"), (Seqs{2}));
  EXPECT_EQ(find("BCC hidden"), (Seqs{3}));
  EXPECT_EQ(find("BCC example"), (Seqs{3}));
  EXPECT_EQ(find("SUBJECT notes"), (Seqs{2}));
  // ß folds to ss: the subject "Grüße" is found by "GRÜSSE" (and the
  // other way round).
  EXPECT_EQ(find("CHARSET UTF-8 SUBJECT " + lit("GR\xC3\x9CSSE")), (Seqs{1}));
  EXPECT_EQ(find("CHARSET UTF-8 SUBJECT " + lit("gr\xC3\xBC\xC3\x9F"
                                                "e")),
            (Seqs{1}));
  EXPECT_EQ(find("SUBJECT \"aus berlin\""), (Seqs{1}));
  // The encoded form itself is not what is searched.
  EXPECT_EQ(find("SUBJECT R3LDvMOf"), (Seqs{}));
  EXPECT_EQ(find("SUBJECT \"\""), (Seqs{1, 2, 4}));  // has a Subject
}

TEST_F(SearchTest, HeaderKeyAnyFieldAndEmptyStringMeansPresent) {
  EXPECT_EQ(find("HEADER X-Mailer foo"), (Seqs{3}));
  EXPECT_EQ(find("HEADER x-mailer \"\""), (Seqs{3}));
  EXPECT_EQ(find("HEADER X-Empty \"\""), (Seqs{3}));
  EXPECT_EQ(find("HEADER X-Empty x"), (Seqs{}));
  EXPECT_EQ(find("HEADER Date \"\""), (Seqs{1, 2, 4}));
  EXPECT_EQ(find("HEADER Content-Type multipart"), (Seqs{2, 4}));
  // RFC 2231: the parameter's decoded value is searched.
  EXPECT_EQ(find("CHARSET UTF-8 HEADER Content-Type " + lit("R\xC3\x89SUM\xC3\x89")), (Seqs{3}));
  EXPECT_EQ(find("HEADER \"Bad:Name\" \"\""), (Seqs{}));
}

TEST_F(SearchTest, BodySearchesDecodedTextParts) {
  EXPECT_EQ(find("BODY \"quick BROWN\""), (Seqs{1}));
  // Quoted-printable, soft line break joined, UTF-8; ß matches SS.
  EXPECT_EQ(find("CHARSET UTF-8 BODY \"HAUPTSTRASSE 5\""), (Seqs{2}));
  // Base64 HTML.
  EXPECT_EQ(find("BODY \"hello from the html\""), (Seqs{2}));
  // An attachment that is not text is not searched.
  EXPECT_EQ(find("BODY secretword"), (Seqs{}));
  // Latin-1 converted to UTF-8.
  EXPECT_EQ(find("CHARSET UTF-8 BODY " + lit("CAF\xC3\x89 CR\xC3\x88ME")), (Seqs{4}));
  // An encapsulated message's header and body are in the body.
  EXPECT_EQ(find("BODY \"inner secret\""), (Seqs{4}));
  EXPECT_EQ(find("BODY \"inner body\""), (Seqs{4}));
  // The message's own header is not.
  EXPECT_EQ(find("BODY \"Meeting notes\""), (Seqs{}));
}

TEST_F(SearchTest, TextSearchesHeaderAndBody) {
  EXPECT_EQ(find("TEXT \"meeting NOTES\""), (Seqs{2}));
  EXPECT_EQ(find("TEXT x-mailer"), (Seqs{3}));
  EXPECT_EQ(find("TEXT quick"), (Seqs{1}));
  EXPECT_EQ(find("CHARSET UTF-8 TEXT " + lit("gr\xC3\xBCsse aus")), (Seqs{1}));  // encoded word
}

TEST_F(SearchTest, NotOrAndNested) {
  EXPECT_EQ(find("NOT SEEN"), (Seqs{3, 4}));
  EXPECT_EQ(find("OR ANSWERED FLAGGED"), (Seqs{1, 3}));
  EXPECT_EQ(find("SEEN FROM bob"), (Seqs{2}));
  EXPECT_EQ(find("(SEEN UNANSWERED) OR KEYWORD $Junk ON 16-Mar-2024"), (Seqs{}));
  EXPECT_EQ(find("OR (SEEN UNANSWERED) OR KEYWORD $Junk ON 16-Mar-2024"), (Seqs{2, 3, 4}));
  EXPECT_EQ(find("NOT OR 1 NOT BODY fox"), (Seqs{}));
  EXPECT_EQ(find("NOT NOT 2"), (Seqs{2}));
}

TEST_F(SearchTest, CheapKeysFirstSoOnlyUndecidedMessagesAreRead) {
  EXPECT_EQ(find("BODY fox SEEN"), (Seqs{1}));
  EXPECT_EQ(box.reads, 2);  // the unseen messages 3 and 4 were not read
  box.reads = 0;
  EXPECT_EQ(find("OR DELETED BODY fox"), (Seqs{1, 3}));
  EXPECT_EQ(box.reads, 3);
}

TEST_F(SearchTest, HeaderKeysAnswerFromTheCacheAndFillIt) {
  EXPECT_EQ(find("SUBJECT notes"), (Seqs{2}));
  EXPECT_EQ(box.reads, 4);
  EXPECT_EQ((box.cache_map()[{2, "header:SUBJECT"}]), "Meeting notes\n");
  EXPECT_EQ((box.cache_map()[{5, "header:SUBJECT"}]), "");  // no Subject
  // Warm: nothing is read. (A cached value that differs from the file
  // shows where the answer came from.)
  box.reads = 0;
  box.cache_map()[{6, "header:SUBJECT"}] = "Cached notes\n";
  EXPECT_EQ(find("SUBJECT notes"), (Seqs{2, 4}));
  EXPECT_EQ(find("OR HEADER subject menu SUBJECT \"\""), (Seqs{1, 2, 4}));
  EXPECT_EQ(box.reads, 0);
}

TEST_F(SearchTest, AMessageExpungedMeanwhileDoesNotMatch) {
  box.remove_file(2);
  EXPECT_EQ(find("FROM example"), (Seqs{1, 3, 4}));
  EXPECT_EQ(find("NOT BODY nothing-like-this"), (Seqs{1, 3, 4}));
  EXPECT_EQ(find("SEEN"), (Seqs{1, 2}));  // the view still has it
}

TEST_F(SearchTest, CharsetsOtherThanUtf8AndAsciiAreBadCharset) {
  EXPECT_EQ(find("CHARSET us-ascii SUBJECT notes"), (Seqs{2}));
  const Search s = parse("CHARSET ISO-8859-1 SUBJECT notes");
  auto r = search(box, s.key, s.ctx);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(r.error().message().rfind("[BADCHARSET (UTF-8 US-ASCII)]", 0), 0u);
}

}  // namespace
}  // namespace hm::imap
