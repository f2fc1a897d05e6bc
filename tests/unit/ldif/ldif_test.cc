#include "ldif/ldif.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "ldif/dn.h"

namespace hm::ldif {
namespace {

using Op = Modification::Op;

std::string read_seed(const std::string& name) {
  std::ifstream in(std::string(HM_TEST_DATA_DIR) + "/seed/" + name, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open seed file " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Record> parse_ok(std::string_view text) {
  auto records = parse(text);
  EXPECT_TRUE(records.has_value()) << (records ? "" : records.error().message());
  return records ? *records : std::vector<Record>{};
}

// Parses text that must fail; returns the message.
std::string parse_error(std::string_view text) {
  auto records = parse(text);
  EXPECT_FALSE(records.has_value()) << "parsed unexpectedly: " << text;
  if (records) return {};
  EXPECT_EQ(records.error().kind(), ErrorKind::kInvalid);
  return records.error().message();
}

void expect_same(const std::vector<Record>& a, const std::vector<Record>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].dn, b[i].dn) << "record " << i;
    EXPECT_EQ(a[i].change, b[i].change) << "record " << i;
    EXPECT_EQ(a[i].attributes, b[i].attributes) << "record " << i;
    EXPECT_EQ(a[i].modifications, b[i].modifications) << "record " << i;
  }
}

std::vector<Record> round_trip(const std::vector<Record>& records) {
  const std::string text = write(records);
  auto again = parse(text);
  EXPECT_TRUE(again.has_value()) << (again ? "" : again.error().message()) << "\n" << text;
  return again ? *again : std::vector<Record>{};
}

// ---- the seed article's files ----

TEST(LdifSeedTest, BaseTree) {
  auto records = parse_ok(read_seed("base.ldif"));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].dn, "dc=myhosting, dc=example");
  EXPECT_EQ(records[0].line, 1u);
  EXPECT_EQ(records[0].attributes, (std::vector<Attribute>{{"objectClass", "top"}}));
  EXPECT_EQ(records[1].dn, "cn=Manager, dc=myhosting, dc=example");
  EXPECT_EQ(records[1].line, 4u);
  EXPECT_EQ(records[1].attributes,
            (std::vector<Attribute>{
                {"objectClass", "top"}, {"objectClass", "organizationalRole"}, {"cn", "Manager"}}));
  EXPECT_EQ(records[2].dn, "o=hosting, dc=myhosting, dc=example");
  EXPECT_EQ(records[2].values("objectclass"), (std::vector<std::string>{"top", "organization"}));
  EXPECT_EQ(records[2].values("o"), (std::vector<std::string>{"hosting"}));
  for (const Record& r : records) {
    EXPECT_EQ(r.change, ChangeType::kAdd);
    EXPECT_TRUE(r.modifications.empty());
  }
}

TEST(LdifSeedTest, Domain1) {
  auto records = parse_ok(read_seed("domain1.example.ldif"));
  ASSERT_EQ(records.size(), 3u);
  // The article folds the DN after "dc=myhosting,": the fold's space is dropped.
  EXPECT_EQ(records[0].dn, "o=domain1.example, o=hosting, dc=myhosting,dc=example");
  EXPECT_EQ(normalize_dn(records[0].dn), "o=domain1.example,o=hosting,dc=myhosting,dc=example");
  EXPECT_EQ(records[0].values("o"), (std::vector<std::string>{"domain1.example"}));

  EXPECT_EQ(records[1].dn, "cn=postmaster, o=domain1.example, o=hosting,dc=myhosting, dc=example");
  EXPECT_EQ(records[1].line, 7u);
  EXPECT_EQ(records[1].attributes, (std::vector<Attribute>{{"objectClass", "top"},
                                                           {"objectClass", "organizationalRole"},
                                                           {"objectClass", "CourierMailAlias"},
                                                           {"cn", "postmaster"},
                                                           {"mail", "postmaster@domain1.example"},
                                                           {"maildrop", "postmaster"}}));

  EXPECT_EQ(normalize_dn(records[2].dn),
            "mail=abuse@domain1.example,o=domain1.example,o=hosting,dc=myhosting,dc=example");
  EXPECT_EQ(records[2].values("MAIL"), (std::vector<std::string>{"abuse@domain1.example"}));
  EXPECT_EQ(records[2].values("maildrop"), (std::vector<std::string>{"abuse"}));
}

TEST(LdifSeedTest, User1WithModifyRecord) {
  auto records = parse_ok(read_seed("user1.domain1.example.ldif"));
  ASSERT_EQ(records.size(), 2u);
  const Record& account = records[0];
  EXPECT_EQ(account.change, ChangeType::kAdd);
  EXPECT_EQ(normalize_dn(account.dn),
            "mail=user1@domain1.example,o=domain1.example,o=hosting,dc=myhosting,dc=example");
  EXPECT_EQ(account.attributes, (std::vector<Attribute>{{"objectClass", "top"},
                                                        {"objectClass", "CourierMailAccount"},
                                                        {"mail", "user1@domain1.example"},
                                                        {"homeDirectory", "/home/vmail/domains"},
                                                        {"uidNumber", "101"},
                                                        {"gidNumber", "101"},
                                                        {"mailbox", "domain1.example/user1"}}));

  const Record& modify = records[1];
  EXPECT_EQ(modify.change, ChangeType::kModify);
  EXPECT_EQ(modify.line, 11u);
  EXPECT_EQ(normalize_dn(modify.dn),
            "cn=postmaster,o=domain1.example,o=hosting,dc=myhosting,dc=example");
  EXPECT_TRUE(modify.attributes.empty());
  // The article ends the modification without "-".
  ASSERT_EQ(modify.modifications.size(), 1u);
  const Modification& m = modify.modifications[0];
  EXPECT_EQ(m.op, Op::kAdd);
  EXPECT_EQ(m.attribute, "roleOccupant");
  ASSERT_EQ(m.values.size(), 1u);
  EXPECT_EQ(m.values[0],
            "mail=user1@domain1.example,o=domain1.example, o=hosting,dc=myhosting, "
            "dc=example");
  EXPECT_EQ(normalize_dn(m.values[0]), normalize_dn(account.dn));
}

TEST(LdifSeedTest, Domain2) {
  auto records = parse_ok(read_seed("domain2.example.ldif"));
  ASSERT_EQ(records.size(), 8u);
  EXPECT_EQ(records[0].line, 6u);  // after the comment and "version: 1"
  EXPECT_EQ(records[3].values("userPassword"),
            (std::vector<std::string>{"{SSHA}ra0sD47QP32ASAlaAhF8kgi+8Aflbgr7"}));
  EXPECT_EQ(records[3].values("cn"), (std::vector<std::string>{"User Two"}));
  EXPECT_EQ(records[4].values("cn"), (std::vector<std::string>{"J\xc3\xbcrgen M\xc3\xbcller"}));
  EXPECT_EQ(records[5].values("mail"), (std::vector<std::string>{"@domain2.example"}));
  EXPECT_EQ(records[5].values("maildrop"), (std::vector<std::string>{"user2@domain2.example"}));
  EXPECT_EQ(records[6].values("maildrop"),
            (std::vector<std::string>{"user2@domain2.example", "user3@domain2.example"}));
  EXPECT_EQ(records[7].change, ChangeType::kModify);
  ASSERT_EQ(records[7].modifications.size(), 1u);
  EXPECT_EQ(normalize_dn(records[7].modifications[0].values.at(0)),
            "mail=user2@domain2.example,o=domain2.example,o=hosting,dc=myhosting,dc=example");
}

TEST(LdifSeedTest, EverySeedFileRoundTrips) {
  for (const char* name : {"base.ldif", "domain1.example.ldif", "user1.domain1.example.ldif",
                           "domain2.example.ldif"}) {
    SCOPED_TRACE(name);
    auto records = parse_ok(read_seed(name));
    expect_same(round_trip(records), records);
  }
}

// ---- syntax ----

TEST(LdifParseTest, FoldedLinesJoinWithoutTheLeadingSpace) {
  auto records = parse_ok(
      "dn: cn=Bar\n"
      " bara,dc=example\n"
      "description: one\n"
      "  two\n"
      " three\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].dn, "cn=Barbara,dc=example");
  EXPECT_EQ(records[0].values("description"), (std::vector<std::string>{"one twothree"}));
}

TEST(LdifParseTest, CommentsAndTheirContinuationsAreDropped) {
  auto records = parse_ok(
      "# a comment\n"
      " that goes on\n"
      "dn: o=x\n"
      "# inside a record\n"
      "o: x\n"
      "#\n"
      "\n"
      "# between records\n"
      "\n"
      "dn: o=y\n"
      "o: y\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].attributes, (std::vector<Attribute>{{"o", "x"}}));
  EXPECT_EQ(records[1].line, 10u);
}

TEST(LdifParseTest, CrLfAndBlankLinesWithWhiteSpace) {
  auto records = parse_ok(
      "\xEF\xBB\xBF\r\n\r\nversion: 1\r\ndn: o=x\r\no: x\r\n \t \r\n\r\n"
      "dn: o=y\r\n description: folded\r\n"  // a dn folded over two lines
      "o: y\r\n   \n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].dn, "o=x");
  EXPECT_EQ(records[0].line, 4u);
  EXPECT_EQ(records[0].values("o"), (std::vector<std::string>{"x"}));
  EXPECT_EQ(records[1].dn, "o=ydescription: folded");
  EXPECT_EQ(records[1].values("o"), (std::vector<std::string>{"y"}));
}

TEST(LdifParseTest, EmptyInputsGiveNoRecords) {
  EXPECT_TRUE(parse_ok("").empty());
  EXPECT_TRUE(parse_ok("\n\n  \n# only a comment\n").empty());
  EXPECT_TRUE(parse_ok("version: 1\n").empty());
}

TEST(LdifParseTest, ValuesOptionsEmptyAndBase64) {
  auto records = parse_ok(
      "dn:: bz1iw7xjaGVy\n"
      "cn;lang-de:: SsO8cmdlbg==\n"
      "cn: Juergen\n"
      "mail:\n"
      "description:    leading FILL is dropped, trailing kept  \n"
      "jpegPhoto::  AAECAw== \n");
  ASSERT_EQ(records.size(), 1u);
  const Record& r = records[0];
  EXPECT_EQ(r.dn,
            "o=b\xc3\xbc"
            "cher");
  EXPECT_EQ(r.values("CN;LANG-DE"), (std::vector<std::string>{"J\xc3\xbcrgen"}));
  EXPECT_EQ(r.values("cn"), (std::vector<std::string>{"Juergen"}));
  EXPECT_EQ(r.values("mail"), (std::vector<std::string>{""}));
  EXPECT_EQ(r.values("description"),
            (std::vector<std::string>{"leading FILL is dropped, trailing kept  "}));
  EXPECT_EQ(r.values("jpegPhoto"), (std::vector<std::string>{std::string("\0\1\2\3", 4)}));
  EXPECT_TRUE(r.values("sn").empty());
}

TEST(LdifParseTest, ChangeRecords) {
  auto records = parse_ok(
      "version: 1\n"
      "\n"
      "dn: mail=a@x,o=x\n"
      "changetype: add\n"
      "mail: a@x\n"
      "\n"
      "dn: cn=postmaster,o=x\n"
      "changetype: Modify\n"
      "add: roleOccupant\n"
      "roleOccupant: mail=a@x,o=x\n"
      "roleoccupant: mail=b@x,o=x\n"
      "-\n"
      "delete: description\n"
      "- \n"
      "replace: maildrop\n"
      "maildrop: postmaster\n"
      "-\n"
      "delete: roleOccupant\n"
      "roleOccupant: mail=c@x,o=x\n"
      "\n"
      "dn: mail=old@x,o=x\n"
      "changetype: delete\n"
      "\n"
      "dn: mail=a@x,o=x\n"
      "changetype: moddn\n"
      "newrdn: mail=b@x\n"
      "deleteoldrdn: 1\n"
      "newsuperior: o=y\n"
      "\n"
      "dn: mail=c@x,o=x\n"
      "changetype: modrdn\n"
      "newrdn:: bWFpbD1kQHg=\n"
      "deleteoldrdn: 0\n");
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].change, ChangeType::kAdd);
  EXPECT_EQ(records[0].values("mail"), (std::vector<std::string>{"a@x"}));

  EXPECT_EQ(records[1].change, ChangeType::kModify);
  EXPECT_EQ(records[1].modifications,
            (std::vector<Modification>{
                {Op::kAdd, "roleOccupant", {"mail=a@x,o=x", "mail=b@x,o=x"}},
                {Op::kDelete, "description", {}},
                {Op::kReplace, "maildrop", {"postmaster"}},
                {Op::kDelete, "roleOccupant", {"mail=c@x,o=x"}},
            }));

  EXPECT_EQ(records[2].change, ChangeType::kDelete);
  EXPECT_TRUE(records[2].attributes.empty());

  EXPECT_EQ(records[3].change, ChangeType::kModRdn);
  EXPECT_EQ(records[3].attributes,
            (std::vector<Attribute>{
                {"newrdn", "mail=b@x"}, {"deleteoldrdn", "1"}, {"newsuperior", "o=y"}}));
  EXPECT_EQ(records[4].attributes,
            (std::vector<Attribute>{{"newrdn", "mail=d@x"}, {"deleteoldrdn", "0"}}));
  expect_same(round_trip(records), records);
}

// ---- errors say where and what ----

TEST(LdifErrorTest, MessagesNameTheLine) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"objectClass: top\n", "line 1: a record must start with 'dn:', found 'objectClass:'"},
      {"dn: o=x\no: x\n\n\ncn x\n", "line 5: missing ':' in 'cn x'"},
      {"dn: o=x\ncn:: not base64!\n", "line 2: invalid base64 in the value of 'cn'"},
      {"dn: o=x\ncn:: QQ\n", "line 2: invalid base64"},
      {"dn: o=x\nchangetype: rename\n", "line 2: unknown changetype 'rename'"},
      {"dn: o=x\njpegPhoto:< file:///tmp/x.jpg\n", "line 2: URL values are not supported"},
      {" dn: o=x\n", "line 1: a continuation line (starting with a space) follows no line"},
      {"dn: o=x\no: x\n\n continued\n", "line 4: a continuation line"},
      // The seed article prints its records without blank lines between them.
      {"dn: o=x\no: x\ndn: o=y\no: y\n",
       "line 3: a second 'dn:' inside the record that starts on line 1; separate records with a "
       "blank line"},
      {"dn: o=x\no: x\nchangetype: add\n", "line 3: 'changetype:' must come right after"},
      {"dn: o=x\ncontrol: 1.2.840.113556.1.4.805 true\nchangetype: delete\n",
       "line 2: LDIF controls ('control:') are not supported"},
      {"dn: o=x\nchangetype: delete\no: x\n", "line 3: a 'changetype: delete' record takes no"},
      {"dn: o=x\nchangetype: modify\nadd: mail\ncn: x\n-\n",
       "line 4: expected a value of 'mail' or '-' to end the modification, found 'cn:'"},
      {"dn: o=x\nchangetype: modify\nadd: mail\nmail: a\n-\nincrement: uidNumber\n",
       "line 6: expected 'add:', 'delete:' or 'replace:'"},
      {"dn: o=x\nchangetype: modify\n-\n", "line 3: '-' with no modification before it"},
      {"dn: o=x\nchangetype: modify\nreplace: bad name\n", "line 3: 'bad name' after 'replace:'"},
      {"dn: o=x\nchangetype: modrdn\nnewrdn: o=y\ndeleteoldrdn: yes\n",
       "line 4: 'deleteoldrdn:' must be 0 or 1"},
      {"dn: o=x\nchangetype: modrdn\nnewrdn: o=y\n",
       "line 1: the modrdn record needs a 'deleteoldrdn:' line"},
      {"dn: o=x\nchangetype: modrdn\nnewrdn: o=y\ndeleteoldrdn: 0\nnewsuperior: o=z\no: z\n",
       "line 6: unexpected line 'o: z'"},
      {"version: 2\ndn: o=x\n", "line 1: unsupported LDIF version '2'"},
      {"dn: o=x\n-bad: x\n", "line 2: '-bad' is not a valid attribute name"},
      {"\n\n\ndn: o=x\r\nthe cn: x\r\n", "line 5: 'the cn' is not a valid attribute name"},
  };
  for (const Case& c : cases) {
    const std::string message = parse_error(c.text);
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << "input: " << c.text << "\nmessage: " << message << "\nexpected: " << c.expected;
  }
}

TEST(LdifErrorTest, ErrorsShowOnlyAPrintablePieceOfTheLine) {
  std::string line = "x" + std::string(200, 'y') + "\x01";
  const std::string message = parse_error("dn: o=x\n" + line + "\n");
  EXPECT_NE(message.find("line 2: missing ':'"), std::string::npos);
  EXPECT_LT(message.size(), 150u);
}

// ---- writing ----

TEST(LdifWriteTest, ContentRecordsExactly) {
  Record r;
  r.dn = "mail=a@x,o=x";
  r.attributes = {{"objectClass", "top"}, {"mail", "a@x"}, {"description", ""}};
  EXPECT_EQ(write({r, r}),
            "version: 1\n"
            "\n"
            "dn: mail=a@x,o=x\n"
            "objectClass: top\n"
            "mail: a@x\n"
            "description:\n"
            "\n"
            "dn: mail=a@x,o=x\n"
            "objectClass: top\n"
            "mail: a@x\n"
            "description:\n");
  EXPECT_EQ(write({}), "version: 1\n");
}

TEST(LdifWriteTest, ChangeRecordsCarryTheirChangetype) {
  Record add;
  add.dn = "o=x";
  add.attributes = {{"o", "x"}};
  Record modify;
  modify.dn = "cn=postmaster,o=x";
  modify.change = ChangeType::kModify;
  modify.modifications = {{Op::kAdd, "roleOccupant", {"mail=a@x,o=x"}},
                          {Op::kDelete, "description", {}}};
  EXPECT_EQ(write({add, modify}),
            "version: 1\n"
            "\n"
            "dn: o=x\n"
            "changetype: add\n"
            "o: x\n"
            "\n"
            "dn: cn=postmaster,o=x\n"
            "changetype: modify\n"
            "add: roleOccupant\n"
            "roleOccupant: mail=a@x,o=x\n"
            "-\n"
            "delete: description\n"
            "-\n");
}

TEST(LdifWriteTest, UnsafeValuesAreBase64) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"plain value", false},   {"in:side<colon", false},   {"#not a comment", false},
      {"tab\tinside", false},   {" leading space", true},   {":leading colon", true},
      {"<leading angle", true}, {"trailing space ", true},  {"J\xc3\xbcrgen", true},
      {"line\nbreak", true},    {"carriage\rreturn", true}, {std::string("nul\0byte", 8), true},
  };
  for (const auto& [value, base64] : cases) {
    Record r;
    r.dn = "o=x";
    r.attributes = {{"description", value}};
    const std::string text = write({r});
    EXPECT_EQ(text.find("description::") != std::string::npos, base64) << text;
    auto back = parse(text);
    ASSERT_TRUE(back.has_value()) << text;
    ASSERT_EQ(back->size(), 1u);
    EXPECT_EQ((*back)[0].values("description"), (std::vector<std::string>{value}));
  }
}

TEST(LdifWriteTest, LongLinesAreFoldedAt76Columns) {
  Record r;
  r.dn = "mail=someone.with.a.long.name@" + std::string(100, 'd') +
         ".example,o=" + std::string(90, 'o') + ",o=hosting,dc=myhosting,dc=example";
  std::string blob;
  for (int i = 0; i < 300; ++i) blob += static_cast<char>(i);
  r.attributes = {{"description", std::string(500, 'x')}, {"jpegPhoto", blob}};
  const std::string text = write({r});
  size_t continuations = 0;
  for (const std::string& line : split(text, '\n')) {
    EXPECT_LE(line.size(), 76u) << line;
    if (!line.empty() && line[0] == ' ') ++continuations;
  }
  EXPECT_GT(continuations, 10u);
  expect_same(round_trip({r}), {r});
}

TEST(LdifWriteTest, TrickyValuesRoundTrip) {
  Record r;
  r.dn = "";  // the root DSE
  r.attributes = {
      {"cn", ""},
      {"cn;lang-en", "value with ; and : and = and ,"},
      // A fold must never produce a line of only spaces, which reads as a record separator.
      {"description", "x" + std::string(300, ' ') + "y"},
      {"description", std::string(74, 'a') + "\t\t\t"},
      {"description", "ends in tab\t"},
      {"userPassword", "{SSHA}ra0sD47QP32ASAlaAhF8kgi+8Aflbgr7"},
      {"binary", std::string("\xff\xfe\0\r\n", 5)},
      {"a", "-"},
      {"b", "dn: o=y"},
      {std::string(80, 'n'), "long attribute name"},
      {std::string(75, 'm'), "v"},
      {std::string(76, 'k'), ""},
  };
  Record modify;
  modify.dn = " leading space dn";
  modify.change = ChangeType::kModify;
  modify.modifications = {{Op::kReplace, "mail", {"", " ", "a@x"}}, {Op::kAdd, "x", {}}};
  Record rename;
  rename.dn = "mail=a@x,o=x";
  rename.change = ChangeType::kModRdn;
  rename.attributes = {{"newrdn", "mail=J\xc3\xbcrgen@x"}, {"deleteoldrdn", "1"}};
  Record gone;
  gone.dn = "mail=b@x,o=x";
  gone.change = ChangeType::kDelete;
  const std::vector<Record> records = {r, modify, rename, gone};
  expect_same(round_trip(records), records);
  // Writing is stable: what was read back writes the same text.
  EXPECT_EQ(write(round_trip(records)), write(records));
}

TEST(LdifWriteTest, OnlyFieldsOfTheChangeTypeAreWritten) {
  Record modify;
  modify.dn = "o=x";
  modify.change = ChangeType::kModify;
  modify.attributes = {{"o", "ignored"}};
  modify.modifications = {{Op::kReplace, "o", {"x"}}};
  Record gone;
  gone.dn = "o=y";
  gone.change = ChangeType::kDelete;
  gone.attributes = {{"o", "ignored"}};
  gone.modifications = {{Op::kAdd, "o", {"ignored"}}};
  const std::string text = write({modify, gone});
  EXPECT_EQ(text.find("ignored"), std::string::npos) << text;
  auto back = round_trip({modify, gone});
  ASSERT_EQ(back.size(), 2u);
  EXPECT_TRUE(back[0].attributes.empty());
  EXPECT_EQ(back[0].modifications, modify.modifications);
  EXPECT_TRUE(back[1].attributes.empty());
  EXPECT_TRUE(back[1].modifications.empty());
}

TEST(LdifWriteTest, KeywordNamedFirstAttributeForcesChangetype) {
  Record r;
  r.dn = "o=x";
  r.attributes = {{"control", "value"}};
  const std::string text = write({r});
  EXPECT_NE(text.find("changetype: add"), std::string::npos);
  expect_same(round_trip({r}), {r});
}

}  // namespace
}  // namespace hm::ldif
