#include "directory/ldif_tree.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "directory/snapshot.h"
#include "test_tree.h"

namespace hm::directory {
namespace {

std::string read(const std::string& name) {
  std::ifstream in(std::string(HM_TEST_DATA_DIR) + "/seed/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  EXPECT_FALSE(s.str().empty()) << "missing test data " << name;
  return s.str();
}

Snapshot seed_tree() {
  Snapshot tree;
  for (const char* f : {"base.ldif", "domain1.example.ldif", "user1.domain1.example.ldif"}) {
    Status s = apply_ldif(read(f), tree);
    EXPECT_TRUE(s) << f << ": " << s.error().describe();
  }
  return tree;
}

TEST(LdifTree, ImportsTheSeedsThreeFiles) {
  Snapshot tree = seed_tree();
  ASSERT_EQ(tree.domains.size(), 1u);
  EXPECT_EQ(tree.domains[0].name, "domain1.example");
  ASSERT_EQ(tree.accounts.size(), 1u);
  const Account& a = tree.accounts[0];
  EXPECT_EQ(a.address, "user1@domain1.example");
  EXPECT_EQ(a.home_directory, "/home/vmail/domains");
  EXPECT_EQ(a.mailbox, "domain1.example/user1/");  // the seed omits the Maildir slash
  EXPECT_EQ(a.uid_number, 101u);
  EXPECT_EQ(a.gid_number, 101u);
  ASSERT_EQ(tree.aliases.size(), 2u);
  EXPECT_EQ(tree.aliases[0].address, "abuse@domain1.example");
  EXPECT_EQ(tree.aliases[0].maildrops, (std::vector<std::string>{"abuse"}));
  EXPECT_EQ(tree.aliases[1].address, "postmaster@domain1.example");
  EXPECT_EQ(tree.aliases[1].maildrops, (std::vector<std::string>{"postmaster"}));
  ASSERT_EQ(tree.roles.size(), 1u);
  EXPECT_EQ(tree.roles[0].domain, "domain1.example");
  EXPECT_EQ(tree.roles[0].occupants, (std::vector<std::string>{"user1@domain1.example"}));
}

TEST(LdifTree, EmptyMailValuesComeFromTheDn) {
  const char* text =
      "dn: o=d.example,o=hosting,dc=myhosting,dc=example\n"
      "objectClass: organization\no: d.example\n\n"
      "dn: cn=postmaster,o=d.example,o=hosting,dc=myhosting,dc=example\n"
      "objectClass: top\nobjectClass: organizationalRole\nobjectClass: CourierMailAlias\n"
      "cn: postmaster\nmail:\nmaildrop: postmaster\n\n"
      "dn: mail=abuse@d.example,o=d.example,o=hosting,dc=myhosting,dc=example\n"
      "objectClass: top\nobjectClass: CourierMailAlias\nmail:\nmaildrop: abuse\n";
  Snapshot tree;
  ASSERT_TRUE(apply_ldif(text, tree));
  ASSERT_EQ(tree.aliases.size(), 2u);
  EXPECT_EQ(tree.aliases[0].address, "abuse@d.example");
  EXPECT_EQ(tree.aliases[1].address, "postmaster@d.example");
}

TEST(LdifTree, RoundTripIsStable) {
  Snapshot first = seed_tree();
  ASSERT_TRUE(apply_ldif(read("domain2.example.ldif"), first));
  auto text = export_ldif(first, kDefaultLdifBase, "/var/vmail/domains");
  ASSERT_TRUE(text) << text.error().describe();
  Snapshot second;
  Status s = apply_ldif(*text, second);
  ASSERT_TRUE(s) << s.error().describe() << "\n" << *text;
  EXPECT_EQ(first, second) << *text;
  auto again = export_ldif(second, kDefaultLdifBase, "/var/vmail/domains");
  EXPECT_EQ(*text, *again);
}

TEST(LdifTree, ExportGivesEachEntryAStructuralClass) {
  auto text = export_ldif(seed_tree(), kDefaultLdifBase, "/var/vmail/domains");
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("dn: mail=user1@domain1.example,o=domain1.example,o=hosting,dc=myhosting"),
            std::string::npos);
  EXPECT_NE(text->find("objectClass: inetOrgPerson"), std::string::npos);
  EXPECT_NE(text->find("objectClass: nisMailAlias"), std::string::npos);
  EXPECT_NE(text->find("roleOccupant: mail=user1@domain1.example,o=domain1.example"),
            std::string::npos);
}

TEST(LdifTree, ModifyAndDeleteRecords) {
  Snapshot tree = seed_tree();
  const char* text =
      "dn: mail=abuse@domain1.example, o=domain1.example, o=hosting, dc=myhosting, dc=example\n"
      "changetype: modify\nadd: maildrop\nmaildrop: user1@domain1.example\n-\n\n"
      "dn: mail=user1@domain1.example,o=domain1.example,o=hosting,dc=myhosting,dc=example\n"
      "changetype: modify\nreplace: quota\nquota: 5000\n-\nreplace: userPassword\n"
      "userPassword: {SSHA}ra0sD47QP32ASAlaAhF8kgi+8Aflbgr7\n-\n\n"
      "dn: cn=postmaster,o=domain1.example,o=hosting,dc=myhosting,dc=example\n"
      "changetype: modify\ndelete: roleOccupant\n"
      "roleOccupant: mail=user1@domain1.example,o=domain1.example,o=hosting,dc=myhosting,"
      "dc=example\n";
  Status s = apply_ldif(text, tree);
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(tree.aliases[0].maildrops,
            (std::vector<std::string>{"abuse", "user1@domain1.example"}));
  EXPECT_EQ(tree.accounts[0].quota_bytes, 5000u);
  EXPECT_EQ(tree.accounts[0].password_hash, "{SSHA}ra0sD47QP32ASAlaAhF8kgi+8Aflbgr7");
  EXPECT_TRUE(tree.roles.empty());
  ASSERT_TRUE(apply_ldif(
      "dn: mail=user1@domain1.example,o=domain1.example,o=hosting,dc=myhosting,dc=example\n"
      "changetype: delete\n",
      tree));
  EXPECT_TRUE(tree.accounts.empty());
}

TEST(LdifTree, ErrorsNameTheLine) {
  Snapshot tree;
  const char* orphan =
      "dn: mail=a@nowhere.example,o=nowhere.example,o=hosting,dc=myhosting,dc=example\n"
      "objectClass: CourierMailAccount\nmail: a@nowhere.example\nmailbox: x/\n";
  auto s = apply_ldif(orphan, tree);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("line 1"), std::string::npos);
  EXPECT_NE(s.error().message().find("nowhere.example"), std::string::npos);
}

// The seed article prints base.ldif with a leading space on every line but
// the first: in LDIF that folds the whole file into one "dn:" line.
TEST(LdifTree, ArticlesBaseLdifAsPrintedIsAnErrorNamingTheFold) {
  const char* printed =
      "dn: dc=myhosting, dc=example\n"
      " objectClass: top\n"
      " dn: cn=Manager, dc=myhosting, dc=example\n"
      " objectClass: top\n"
      " objectClass: organizationalRole\n"
      " cn: Manager\n"
      " dn: o=hosting, dc=myhosting, dc=example\n"
      " objectClass: top\n"
      " objectClass: organization\n"
      " o: hosting\n";
  Snapshot tree;
  LdifImportReport report;
  auto s = apply_ldif(printed, tree, &report);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalid);
  const std::string& m = s.error().message();
  EXPECT_NE(m.find("line 1"), std::string::npos) << m;
  EXPECT_NE(m.find("leading space"), std::string::npos) << m;
  EXPECT_NE(m.find("nothing"), std::string::npos) << m;
}

TEST(LdifTree, EverySkippedRecordIsWarnedAboutWithItsLine) {
  std::string text = read("base.ldif");  // its cn=Manager entry starts on line 4
  text +=
      "\n"
      "dn: cn=whatever,dc=nowhere\n"  // line 14
      "objectClass: top\n"
      "objectClass: device\n"
      "cn: whatever\n"
      "\n"
      "dn: uid=joe,ou=people,dc=myhosting,dc=example\n"  // line 19
      "changetype: modify\n"
      "replace: cn\n"
      "cn: Joe\n"
      "\n"
      "dn: mail=ghost@nowhere.example,o=nowhere.example,o=hosting,dc=myhosting,dc=example\n"
      "changetype: delete\n";  // line 24
  Snapshot tree;
  LdifImportReport report;
  auto s = apply_ldif(text, tree, &report);
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(report.applied, 2u);  // the suffix and o=hosting
  ASSERT_EQ(report.warnings.size(), 4u);
  EXPECT_TRUE(report.warnings[0].starts_with("line 4: ")) << report.warnings[0];
  EXPECT_NE(report.warnings[0].find("cn=Manager"), std::string::npos);
  EXPECT_NE(report.warnings[0].find("skipped"), std::string::npos);
  EXPECT_TRUE(report.warnings[1].starts_with("line 14: ")) << report.warnings[1];
  EXPECT_NE(report.warnings[1].find("cn=whatever,dc=nowhere"), std::string::npos);
  EXPECT_TRUE(report.warnings[2].starts_with("line 19: ")) << report.warnings[2];
  EXPECT_TRUE(report.warnings[3].starts_with("line 24: ")) << report.warnings[3];
  EXPECT_NE(report.warnings[3].find("does not exist"), std::string::npos);
}

TEST(LdifTree, AFileFromWhichNothingIsImportedIsAnError) {
  Snapshot tree;
  LdifImportReport report;
  auto s =
      apply_ldif("dn: cn=whatever,dc=nowhere\nobjectClass: top\ncn: whatever\n", tree, &report);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("nothing"), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("line 1"), std::string::npos) << s.error().message();
  auto empty = apply_ldif("version: 1\n# only a comment\n", tree);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message().find("no records"), std::string::npos);
  EXPECT_EQ(tree, Snapshot{});
}

TEST(LdifTree, RetiredMailboxesGoBothWays) {
  Snapshot tree = seed_tree();
  tree.retired_mailboxes = {"domain1.example/old/", "gone.example/bob/"};
  auto text = export_ldif(tree, kDefaultLdifBase, "/var/vmail/domains");
  ASSERT_TRUE(text) << text.error().describe();
  EXPECT_NE(text->find("dn: cn=retired-mailboxes,o=domain1.example,o=hosting,dc=myhosting,dc=ex"
                       "ample\nobjectClass: top\nobjectClass: organizationalRole\n"
                       "cn: retired-mailboxes\ndescription: domain1.example/old/\n"),
            std::string::npos)
      << *text;
  EXPECT_NE(text->find("dn: cn=retired-mailboxes,o=hosting,dc=myhosting,dc=example\n"
                       "objectClass: top\nobjectClass: organizationalRole\n"
                       "cn: retired-mailboxes\ndescription: gone.example/bob/\n"),
            std::string::npos)
      << *text;
  Snapshot back;
  ASSERT_TRUE(apply_ldif(*text, back));
  EXPECT_EQ(back, tree);

  // An import adds to the list and never takes a path off it.
  LdifImportReport report;
  ASSERT_TRUE(
      apply_ldif("dn: cn=retired-mailboxes,o=hosting,dc=myhosting,dc=example\nchangetype: modify\n"
                 "add: description\ndescription: x.example/y\n-\n\n"
                 "dn: cn=retired-mailboxes,o=domain1.example,o=hosting,dc=myhosting,dc=example\n"
                 "changetype: delete\n",
                 back, &report));
  EXPECT_EQ(
      back.retired_mailboxes,
      (std::vector<std::string>{"domain1.example/old/", "gone.example/bob/", "x.example/y/"}));
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_TRUE(report.warnings[0].starts_with("line 7: ")) << report.warnings[0];
}

TEST(LdifTree, ImportIntoDirectoryAndBack) {
  memory::MemoryDirectory dir;
  Snapshot tree = seed_tree();
  ASSERT_TRUE(apply_snapshot(dir, {"admin", ""}, tree));
  auto taken = take_snapshot(dir);
  ASSERT_TRUE(taken);
  EXPECT_EQ(*taken, tree);
  // Applying a smaller tree deletes what it lacks.
  Snapshot smaller = tree;
  smaller.roles.clear();
  smaller.aliases.pop_back();
  ASSERT_TRUE(apply_snapshot(dir, {"admin", ""}, smaller));
  EXPECT_EQ(take_snapshot(dir).value(), smaller);
}

}  // namespace
}  // namespace hm::directory
