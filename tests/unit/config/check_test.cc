#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace hm::config {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// "key: message" for each problem, so a test can look for one.
std::vector<std::string> keys(const std::vector<Problem>& problems) {
  std::vector<std::string> out;
  for (const Problem& p : problems) out.push_back(p.key);
  return out;
}

std::string all(const std::vector<Problem>& problems) {
  std::string out;
  for (const Problem& p : problems) out += format_problem(p) + "\n";
  return out;
}

Config valid() {
  Config c;
  c.source_path = "test.toml";
  c.server.hostname = "mail.example.org";
  return c;
}

TEST(ConfigCheck, DefaultsPass) {
  Config c = valid();
  EXPECT_TRUE(check(c).empty()) << all(check(c));
}

TEST(ConfigCheck, ProblemsCarryFileAndNoLine) {
  Config c = valid();
  c.log.level = "verbose";
  auto problems = check(c);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].file, "test.toml");
  EXPECT_EQ(problems[0].line, 0);
  EXPECT_EQ(problems[0].key, "log.level");
  EXPECT_EQ(problems[0].message,
            "unknown level \"verbose\"; use one of \"debug\", \"info\", \"warning\", \"error\"");
}

TEST(ConfigCheck, BadHostname) {
  Config c = valid();
  c.server.hostname = "mail example";
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"server.hostname"});
  c.server.hostname = "";
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"server.hostname"});
  c.server.hostname = "-bad.example";
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"server.hostname"});
}

TEST(ConfigCheck, ListenAddresses) {
  Config c = valid();
  c.listen.smtp = {"0.0.0.0:25", "nonsense", "1.2.3.4:0", "[::1]:70000", "::1:25"};
  auto problems = check(c);
  ASSERT_EQ(problems.size(), 4u) << all(problems);
  for (const Problem& p : problems) EXPECT_EQ(p.key, "listen.smtp");
  EXPECT_THAT(problems[0].message, HasSubstr("'nonsense' is not a listen address: the port is "
                                             "missing; write HOST:PORT"));
  EXPECT_THAT(problems[1].message, HasSubstr("1 to 65535"));
  EXPECT_THAT(problems[2].message, HasSubstr("1 to 65535"));
  EXPECT_THAT(problems[3].message, HasSubstr("must be in brackets"));
}

TEST(ConfigCheck, SameAddressForTwoServices) {
  Config c = valid();
  c.listen.imap = {"127.0.0.1:8080"};
  auto problems = check(c);
  ASSERT_EQ(problems.size(), 1u) << all(problems);
  EXPECT_EQ(problems[0].key, "listen.admin");
  EXPECT_THAT(problems[0].message, HasSubstr("also listed in listen.imap"));
}

TEST(ConfigCheck, ParseHostPort) {
  auto a = parse_host_port("127.0.0.1:2525");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 2525);
  auto b = parse_host_port("[::1]:993");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 993);
  auto h = parse_host_port("localhost:25");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->host, "localhost");
  EXPECT_EQ(parse_host_port("[::]:65535")->port, 65535);
  for (const char* bad : {"", ":25", "[::1]", "[::1]25", "[nothex]:25", "1.2.3.4:", "1.2.3.4:x",
                          "1.2.3.4:123456", "1.2.3.4:-1", "a b:25", "[::1:25"}) {
    auto r = parse_host_port(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
    }
  }
}

TEST(ConfigCheck, UnknownBackend) {
  Config c = valid();
  c.directory.backend = "mysql";
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"directory.backend"});
}

TEST(ConfigCheck, SqliteNeedsPath) {
  Config c = valid();
  c.directory.sqlite.path = "";
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"directory.sqlite.path"});
  c.directory.sqlite.path = "relative.db";
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"directory.sqlite.path"});
}

TEST(ConfigCheck, LdapNeedsUrisAndBase) {
  Config c = valid();
  c.directory.backend = "ldap";
  EXPECT_EQ(keys(check(c)),
            (std::vector<std::string>{"directory.ldap.uris", "directory.ldap.base"}));
  c.directory.ldap.uris = {"ldap://127.0.0.1", "http://x"};
  c.directory.ldap.base = "o=hosting,dc=example";
  auto problems = check(c);
  ASSERT_EQ(problems.size(), 1u) << all(problems);
  EXPECT_THAT(problems[0].message, HasSubstr("'http://x' is not an LDAP URI"));
  c.directory.ldap.uris = {"ldapi://%2Frun%2Fslapd%2Fldapi"};
  EXPECT_TRUE(check(c).empty()) << all(check(c));
}

TEST(ConfigCheck, LdapBindSettingsGoTogether) {
  Config c = valid();
  c.directory.ldap.bind_dn = "cn=x";
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"directory.ldap.bind_dn"});
  c.directory.ldap.bind_dn = "";
  c.directory.ldap.bind_password_file = "/etc/hostmail/ldap-password";
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"directory.ldap.bind_password_file"});
}

TEST(ConfigCheck, LdapPasswordFileMustExistWhenUsed) {
  Config c = valid();
  c.directory.backend = "ldap";
  c.directory.ldap.uris = {"ldap://127.0.0.1"};
  c.directory.ldap.base = "o=hosting";
  c.directory.ldap.bind_dn = "cn=x";
  c.directory.ldap.bind_password_file = "/nonexistent/hm-ldap-password";
  auto problems = check(c);
  ASSERT_EQ(problems.size(), 1u) << all(problems);
  EXPECT_EQ(problems[0].key, "directory.ldap.bind_password_file");
  EXPECT_THAT(problems[0].message, HasSubstr("does not exist"));
}

TEST(ConfigCheck, LdapNumbers) {
  Config c = valid();
  c.directory.ldap.timeout_ms = 0;
  c.directory.ldap.cache_ttl_s = -1;
  c.directory.ldap.pool_size = -1;  // 0 is allowed: one connection per caller
  EXPECT_EQ(keys(check(c)),
            (std::vector<std::string>{"directory.ldap.timeout_ms", "directory.ldap.cache_ttl_s",
                                      "directory.ldap.pool_size"}));
  c.directory.ldap.auth = "sasl";
  EXPECT_EQ(keys(check(c)).front(), "directory.ldap.auth");
}

TEST(ConfigCheck, LdapFollowChanges) {
  Config c = valid();
  for (const char* v : {"auto", "on", "off"}) {
    c.directory.ldap.follow_changes = v;
    EXPECT_TRUE(check(c).empty()) << v;
  }
  c.directory.ldap.follow_changes = "yes";
  auto problems = check(c);
  ASSERT_EQ(keys(problems), std::vector<std::string>{"directory.ldap.follow_changes"});
  EXPECT_THAT(problems[0].message, HasSubstr("\"auto\", \"on\", \"off\""));
}

TEST(ConfigCheck, LdapFiltersAndAttributes) {
  Config c = valid();
  c.directory.ldap.account_filter = "mail=%s";
  c.directory.ldap.alias_filter = "(mail=%x)";
  c.directory.ldap.domain_filter = "(o=%d)";
  c.directory.ldap.alias_attribute = "";
  auto problems = check(c);
  EXPECT_EQ(keys(problems), (std::vector<std::string>{"directory.ldap.account_filter",
                                                      "directory.ldap.alias_filter",
                                                      "directory.ldap.alias_attribute"}))
      << all(problems);
  EXPECT_THAT(problems[0].message, HasSubstr("parentheses"));
  EXPECT_THAT(problems[1].message, HasSubstr("%u"));
}

TEST(ConfigCheck, LineLengthAtLeast1000) {
  Config c = valid();
  c.limits.line_length = 999;
  auto problems = check(c);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "limits.line_length");
  EXPECT_EQ(problems[0].message, "999 is too small (RFC 5321 requires 1000); use at least 1000");
  c.limits.line_length = 1000;
  EXPECT_TRUE(check(c).empty());
}

TEST(ConfigCheck, ZeroLimits) {
  Config c = valid();
  c.limits.message_size = 0;
  c.limits.recipients = 0;
  c.limits.command_timeout_s = 0;
  c.limits.data_timeout_s = 0;
  c.limits.connections_per_ip = 0;
  c.limits.errors_per_session = 0;
  c.limits.alias_depth = 0;
  c.limits.data_min_rate = 0;
  c.limits.max_sessions = 0;
  EXPECT_EQ(check(c).size(), 9u);
}

TEST(ConfigCheck, TlsBothOrNeitherAndFilesExist) {
  Config c = valid();
  c.tls.cert = "/nonexistent/hm-cert.pem";
  auto problems = check(c);
  ASSERT_EQ(problems.size(), 2u) << all(problems);
  EXPECT_EQ(problems[0].key, "tls.cert");
  EXPECT_THAT(problems[0].message, HasSubstr("tls.key is not; set both or neither"));
  EXPECT_THAT(problems[1].message, HasSubstr("file /nonexistent/hm-cert.pem does not exist"));

  std::string pattern = (fs::temp_directory_path() / "hm_check_test.XXXXXX").string();
  fs::path dir = mkdtemp(pattern.data());
  std::ofstream(dir / "cert.pem") << "x";
  std::ofstream(dir / "key.pem") << "x";
  c.tls.cert = (dir / "cert.pem").string();
  c.tls.key = (dir / "key.pem").string();
  EXPECT_TRUE(check(c).empty()) << all(check(c));
  c.tls.key = dir.string();  // a directory is not a key file
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"tls.key"});
  fs::remove_all(dir);
}

TEST(ConfigCheck, SuperuserAndHash) {
  Config c = valid();
  c.admin.superuser = "";
  c.admin.superuser_password_hash = "plaintext";
  EXPECT_EQ(keys(check(c)),
            (std::vector<std::string>{"admin.superuser", "admin.superuser_password_hash"}));
  c.admin.superuser = "admin";
  c.admin.superuser_password_hash = "{ARGON2ID}$argon2id$v=19$...";
  EXPECT_TRUE(check(c).empty());
}

TEST(ConfigCheck, RecipientDelimiter) {
  Config c = valid();
  for (const char* good : {"", "+", "+-", "_"}) {
    c.addressing.recipient_delimiter = good;
    EXPECT_TRUE(check(c).empty()) << good;
  }
  for (const char* bad : {"@", "a", " ", "+\xc3\xa9"}) {
    c.addressing.recipient_delimiter = bad;
    EXPECT_EQ(keys(check(c)), std::vector<std::string>{"addressing.recipient_delimiter"}) << bad;
  }
}

TEST(ConfigCheck, PasswordSchemeKnown) {
  Config c = valid();
  for (const char* good : {"CRYPT-YESCRYPT", "ARGON2ID", "SSHA", "SSHA256", "SSHA512", "SHA",
                           "SMD5", "MD5", "CRYPT"}) {
    c.auth.password_scheme = good;
    EXPECT_TRUE(check(c).empty()) << good;
  }
  for (const char* bad : {"argon2id", "{SSHA}", "PLAIN", ""}) {
    c.auth.password_scheme = bad;
    EXPECT_EQ(keys(check(c)), std::vector<std::string>{"auth.password_scheme"}) << bad;
  }
}

TEST(ConfigCheck, CredentialCacheTtlAtMostADay) {
  Config c = valid();
  for (uint32_t good : {0u, 300u, 86400u}) {
    c.auth.credential_cache_ttl_s = good;
    EXPECT_TRUE(check(c).empty()) << good;
  }
  c.auth.credential_cache_ttl_s = 86401;
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"auth.credential_cache_ttl_s"});
}

TEST(ConfigCheck, DkimSelectorIsADnsLabelAndKeyDirAbsolute) {
  Config c = valid();
  for (const char* good : {"default", "mail2026", "s-1.rotated"}) {
    c.dkim.selector = good;
    EXPECT_TRUE(check(c).empty()) << good;
  }
  for (const char* bad : {"", "a b", "../x", "-a", "a_b", "a..b"}) {
    c.dkim.selector = bad;
    EXPECT_EQ(keys(check(c)), std::vector<std::string>{"dkim.selector"}) << bad;
  }
  c.dkim.selector = "default";
  c.dkim.key_dir = "relative/dkim";
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"dkim.key_dir"});
}

TEST(ConfigCheck, LocalNeedsPamService) {
  Config c = valid();
  c.local.pam_service = "";
  EXPECT_TRUE(check(c).empty());  // not used while local delivery is off
  c.local.enabled = true;
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"local.pam_service"});
}

TEST(ConfigCheck, LocalDeliveryTimeoutIsBelowTheDataTimeout) {
  Config c = valid();
  c.local.enabled = true;
  c.limits.data_timeout_s = 600;
  c.local.delivery_timeout_s = 600;
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"local.delivery_timeout_s"});
  c.local.delivery_timeout_s = 0;
  EXPECT_EQ(keys(check(c)), (std::vector<std::string>{"local.delivery_timeout_s"}));
  c.local.delivery_timeout_s = 60;
  EXPECT_TRUE(check(c).empty());
}

TEST(ConfigCheck, StorageMustBeSet) {
  Config c = valid();
  c.storage.virtual_base = "";
  c.storage.state_dir = "spool";
  c.storage.vmail_user = "";
  c.storage.vmail_group = "";
  EXPECT_EQ(keys(check(c)),
            (std::vector<std::string>{"storage.virtual_base", "storage.state_dir",
                                      "storage.vmail_user", "storage.vmail_group"}));
}

TEST(ConfigCheck, LogSink) {
  Config c = valid();
  c.log.sink = "journald";
  EXPECT_EQ(keys(check(c)), std::vector<std::string>{"log.sink"});
}

}  // namespace
}  // namespace hm::config

namespace hm::config {
namespace {

TEST(ConfigCheck, ImapSection) {
  Config c = valid();
  c.imap.namespace_style = "cyrus";
  c.imap.login_on_plaintext = "sometimes";
  c.imap.idle_timeout_s = 10;
  c.imap.line_length = 100;
  c.imap.append_limit = 10;
  c.imap.max_sessions = 0;
  c.imap.connections_per_ip = 0;
  c.imap.errors_per_session = 0;
  EXPECT_EQ(keys(check(c)), (std::vector<std::string>{
                                "imap.namespace", "imap.login_on_plaintext", "imap.idle_timeout_s",
                                "imap.line_length", "imap.append_limit", "imap.max_sessions",
                                "imap.connections_per_ip", "imap.errors_per_session"}));
  // "never" without a certificate would lock every IMAP client out.
  c = valid();
  c.imap.login_on_plaintext = "never";
  auto problems = check(c);
  ASSERT_EQ(problems.size(), 1u) << all(problems);
  EXPECT_THAT(problems[0].message, HasSubstr("no [tls] certificate"));
  c.listen.imap.clear();
  EXPECT_TRUE(check(c).empty()) << all(check(c));
}

TEST(ConfigCheck, ImapSectionIsRead) {
  auto c = load_string(
      "[server]\nhostname = \"mail.example.org\"\n"
      "[imap]\nnamespace = \"courier\"\nlogin_on_plaintext = \"always\"\n"
      "idle_timeout_s = 900\nline_length = 16384\nappend_limit = 1048576\n"
      "max_sessions = 7\nconnections_per_ip = 3\nerrors_per_session = 5\n",
      "test.toml");
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->imap.namespace_style, "courier");
  EXPECT_EQ(c->imap.login_on_plaintext, "always");
  EXPECT_EQ(c->imap.idle_timeout_s, 900u);
  EXPECT_EQ(c->imap.line_length, 16384u);
  EXPECT_EQ(c->imap.append_limit, 1048576u);
  EXPECT_EQ(c->imap.max_sessions, 7u);
  EXPECT_EQ(c->imap.connections_per_ip, 3u);
  EXPECT_EQ(c->imap.errors_per_session, 5u);
  EXPECT_FALSE(load_string("[imap]\nnamespace = 3\n", "test.toml"));
  EXPECT_FALSE(load_string("[imap]\nunknown_key = 3\n", "test.toml"));
}

}  // namespace
}  // namespace hm::config
