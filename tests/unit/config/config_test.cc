#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace hm::config {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hm_config_test.XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// The error message of a load that must fail.
std::string load_error(std::string_view toml) {
  auto r = load_string(toml, "/etc/hostmail/hostmail.toml");
  EXPECT_FALSE(r.has_value());
  if (r) return "";
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalid);
  return r.error().message();
}

TEST(ConfigLoad, EmptyFileGivesProductionDefaults) {
  auto r = load_string("", "/etc/hostmail/hostmail.toml");
  ASSERT_TRUE(r) << r.error().message();
  const Config& c = *r;
  EXPECT_EQ(c.source_path, "/etc/hostmail/hostmail.toml");
  EXPECT_EQ(c.server.hostname, default_hostname());
  EXPECT_FALSE(c.server.hostname.empty());
  EXPECT_EQ(c.listen.smtp, (std::vector<std::string>{"0.0.0.0:25", "[::]:25"}));
  EXPECT_EQ(c.listen.submission, (std::vector<std::string>{"0.0.0.0:587", "[::]:587"}));
  EXPECT_EQ(c.listen.smtps, (std::vector<std::string>{"0.0.0.0:465", "[::]:465"}));
  EXPECT_EQ(c.listen.imap, (std::vector<std::string>{"0.0.0.0:143", "[::]:143"}));
  EXPECT_EQ(c.listen.imaps, (std::vector<std::string>{"0.0.0.0:993", "[::]:993"}));
  EXPECT_EQ(c.listen.pop3, (std::vector<std::string>{"0.0.0.0:110", "[::]:110"}));
  EXPECT_EQ(c.listen.pop3s, (std::vector<std::string>{"0.0.0.0:995", "[::]:995"}));
  EXPECT_EQ(c.listen.admin, (std::vector<std::string>{"127.0.0.1:8080"}));
  EXPECT_EQ(c.directory.backend, "sqlite");
  EXPECT_EQ(c.directory.sqlite.path, "/var/lib/hostmail/directory.db");
  EXPECT_TRUE(c.directory.ldap.uris.empty());
  EXPECT_EQ(c.directory.ldap.auth, "bind");
  EXPECT_EQ(c.directory.ldap.timeout_ms, 5000);
  EXPECT_EQ(c.directory.ldap.cache_ttl_s, 30);
  EXPECT_EQ(c.directory.ldap.follow_changes, "auto");
  EXPECT_EQ(c.directory.ldap.pool_size, 0);
  EXPECT_EQ(c.directory.ldap.account_filter, "(&(mail=%s)(objectClass=CourierMailAccount))");
  EXPECT_EQ(c.directory.ldap.alias_filter, "(&(mail=%s)(objectClass=CourierMailAlias))");
  EXPECT_EQ(c.directory.ldap.domain_filter, "(&(o=%d)(objectClass=organization))");
  EXPECT_EQ(c.directory.ldap.account_attribute, "mailbox");
  EXPECT_EQ(c.directory.ldap.alias_attribute, "maildrop");
  EXPECT_EQ(c.storage.virtual_base, "/var/vmail/domains");
  EXPECT_EQ(c.storage.vmail_user, "vmail");
  EXPECT_EQ(c.storage.vmail_group, "vmail");
  EXPECT_EQ(c.storage.state_dir, "/var/spool/hostmail");
  EXPECT_FALSE(c.local.enabled);
  EXPECT_EQ(c.local.mailbox_command, "");
  EXPECT_EQ(c.local.pam_service, "hostmail");
  EXPECT_EQ(c.local.delivery_timeout_s, 60u);
  EXPECT_EQ(c.tls.cert, "");
  EXPECT_EQ(c.tls.key, "");
  EXPECT_EQ(c.admin.superuser, "admin");
  EXPECT_EQ(c.admin.superuser_password_hash, "");
  EXPECT_EQ(c.limits.message_size, 50u * 1024 * 1024);
  EXPECT_EQ(c.limits.recipients, 1000u);
  EXPECT_EQ(c.limits.line_length, 1000u);
  EXPECT_EQ(c.limits.command_timeout_s, 300u);
  EXPECT_EQ(c.limits.data_timeout_s, 600u);
  EXPECT_EQ(c.limits.data_min_rate, 500u);
  EXPECT_EQ(c.limits.connections_per_ip, 50u);  // Postfix's smtpd_client_connection_count_limit
  EXPECT_EQ(c.limits.max_sessions, 500u);
  EXPECT_EQ(c.limits.errors_per_session, 10u);
  EXPECT_EQ(c.limits.alias_depth, 20u);
  EXPECT_EQ(c.addressing.recipient_delimiter, "+");
  EXPECT_EQ(c.auth.password_scheme, "CRYPT-YESCRYPT");
  EXPECT_EQ(c.auth.credential_cache_ttl_s, 300u);
  EXPECT_EQ(c.auth.credential_cache_entries, 100000u);
  EXPECT_EQ(c.dkim.key_dir, "");
  EXPECT_EQ(dkim_key_dir(c), "/var/spool/hostmail/dkim");  // under [storage] state_dir
  EXPECT_EQ(c.dkim.selector, "default");
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.sink, "stderr");
}

TEST(ConfigLoad, ReadsEveryKey) {
  TempDir tmp;
  const fs::path d = tmp.path();
  write_file(d / "pw", "secret\n");
  write_file(d / "cert.pem", "x");
  write_file(d / "key.pem", "x");
  const std::string toml = R"(
[server]
hostname = "mail.example.org"

[listen]
smtp = ["192.0.2.1:25", "[2001:db8::1]:25"]
submission = "127.0.0.1:587"
smtps = []
imap = ["127.0.0.1:143"]
imaps = ["127.0.0.1:993"]
pop3 = ["127.0.0.1:110"]
pop3s = ["127.0.0.1:995"]
admin = ["[::1]:8081"]

[directory]
backend = "ldap"
sqlite.path = "/srv/dir.db"

[directory.ldap]
uris = ["ldap://127.0.0.1", "ldaps://[::1]"]
base = "o=hosting,dc=myhosting,dc=example"
bind_dn = "cn=hostmail,dc=myhosting,dc=example"
bind_password_file = "pw"
auth = "compare"
timeout_ms = 1500
cache_ttl_s = 0
follow_changes = "off"
pool_size = 8
account_filter = '(&(mail=%s)(objectClass=inetOrgPerson))'
alias_filter = '(mailLocalAddress=%u@%d)'
domain_filter = '(dc=%d)'
account_attribute = "mailMessageStore"
alias_attribute = "mailRoutingAddress"

[storage]
virtual_base = "/srv/vmail/domains"
vmail_user = "mailer"
vmail_group = "mailers"
state_dir = "/srv/state"

[local]
enabled = true
mailbox_command = "/usr/bin/procmail"
pam_service = "mail"
delivery_timeout_s = 45

[tls]
cert = "cert.pem"
key = "key.pem"

[admin]
superuser = "root"
superuser_password_hash = "{SSHA}abcdef"

[limits]
message_size = 10_485_760
recipients = 50
line_length = 2000
command_timeout_s = 60
data_timeout_s = 120
data_min_rate = 2000
connections_per_ip = 5
max_sessions = 30
errors_per_session = 3
alias_depth = 7

[addressing]
recipient_delimiter = "+-"

[auth]
password_scheme = "SSHA512"
credential_cache_ttl_s = 60
credential_cache_entries = 500

[submission]
auth_on_smtp = true
sender_check = false
postmaster_sends_as_domain = true
hide_client_ip = true
account_messages_per_minute = 11
account_recipients_per_minute = 12
client_messages_per_minute = 13
client_recipients_per_minute = 14
rate_keys = 15

[dkim]
key_dir = "keys/dkim"
selector = "mail2026"

[log]
level = "debug"
sink = "syslog"
)";
  auto r = load_string(toml, (d / "hostmail.toml").string());
  ASSERT_TRUE(r) << r.error().message();
  const Config& c = *r;
  EXPECT_EQ(c.server.hostname, "mail.example.org");
  EXPECT_EQ(c.listen.smtp, (std::vector<std::string>{"192.0.2.1:25", "[2001:db8::1]:25"}));
  EXPECT_EQ(c.listen.submission, (std::vector<std::string>{"127.0.0.1:587"}));
  EXPECT_TRUE(c.listen.smtps.empty());
  EXPECT_EQ(c.listen.imap, (std::vector<std::string>{"127.0.0.1:143"}));
  EXPECT_EQ(c.listen.imaps, (std::vector<std::string>{"127.0.0.1:993"}));
  EXPECT_EQ(c.listen.pop3, (std::vector<std::string>{"127.0.0.1:110"}));
  EXPECT_EQ(c.listen.pop3s, (std::vector<std::string>{"127.0.0.1:995"}));
  EXPECT_EQ(c.listen.admin, (std::vector<std::string>{"[::1]:8081"}));
  EXPECT_EQ(c.directory.backend, "ldap");
  EXPECT_EQ(c.directory.sqlite.path, "/srv/dir.db");
  EXPECT_EQ(c.directory.ldap.uris, (std::vector<std::string>{"ldap://127.0.0.1", "ldaps://[::1]"}));
  EXPECT_EQ(c.directory.ldap.base, "o=hosting,dc=myhosting,dc=example");
  EXPECT_EQ(c.directory.ldap.bind_dn, "cn=hostmail,dc=myhosting,dc=example");
  EXPECT_EQ(c.directory.ldap.bind_password_file, (d / "pw").string());
  EXPECT_EQ(c.directory.ldap.auth, "compare");
  EXPECT_EQ(c.directory.ldap.timeout_ms, 1500);
  EXPECT_EQ(c.directory.ldap.cache_ttl_s, 0);
  EXPECT_EQ(c.directory.ldap.follow_changes, "off");
  EXPECT_EQ(c.directory.ldap.pool_size, 8);
  EXPECT_EQ(c.directory.ldap.account_filter, "(&(mail=%s)(objectClass=inetOrgPerson))");
  EXPECT_EQ(c.directory.ldap.alias_filter, "(mailLocalAddress=%u@%d)");
  EXPECT_EQ(c.directory.ldap.domain_filter, "(dc=%d)");
  EXPECT_EQ(c.directory.ldap.account_attribute, "mailMessageStore");
  EXPECT_EQ(c.directory.ldap.alias_attribute, "mailRoutingAddress");
  EXPECT_EQ(c.storage.virtual_base, "/srv/vmail/domains");
  EXPECT_EQ(c.storage.vmail_user, "mailer");
  EXPECT_EQ(c.storage.vmail_group, "mailers");
  EXPECT_EQ(c.storage.state_dir, "/srv/state");
  EXPECT_TRUE(c.local.enabled);
  EXPECT_EQ(c.local.mailbox_command, "/usr/bin/procmail");
  EXPECT_EQ(c.local.pam_service, "mail");
  EXPECT_EQ(c.local.delivery_timeout_s, 45u);
  EXPECT_EQ(c.tls.cert, (d / "cert.pem").string());
  EXPECT_EQ(c.tls.key, (d / "key.pem").string());
  EXPECT_EQ(c.admin.superuser, "root");
  EXPECT_EQ(c.admin.superuser_password_hash, "{SSHA}abcdef");
  EXPECT_EQ(c.limits.message_size, 10485760u);
  EXPECT_EQ(c.limits.recipients, 50u);
  EXPECT_EQ(c.limits.line_length, 2000u);
  EXPECT_EQ(c.limits.command_timeout_s, 60u);
  EXPECT_EQ(c.limits.data_timeout_s, 120u);
  EXPECT_EQ(c.limits.data_min_rate, 2000u);
  EXPECT_EQ(c.limits.connections_per_ip, 5u);
  EXPECT_EQ(c.limits.max_sessions, 30u);
  EXPECT_EQ(c.limits.errors_per_session, 3u);
  EXPECT_EQ(c.limits.alias_depth, 7u);
  EXPECT_EQ(c.addressing.recipient_delimiter, "+-");
  EXPECT_EQ(c.auth.password_scheme, "SSHA512");
  EXPECT_EQ(c.auth.credential_cache_ttl_s, 60u);
  EXPECT_EQ(c.auth.credential_cache_entries, 500u);
  EXPECT_TRUE(c.submission.auth_on_smtp);
  EXPECT_FALSE(c.submission.sender_check);
  EXPECT_TRUE(c.submission.postmaster_sends_as_domain);
  EXPECT_TRUE(c.submission.hide_client_ip);
  EXPECT_EQ(c.submission.account_messages_per_minute, 11u);
  EXPECT_EQ(c.submission.account_recipients_per_minute, 12u);
  EXPECT_EQ(c.submission.client_messages_per_minute, 13u);
  EXPECT_EQ(c.submission.client_recipients_per_minute, 14u);
  EXPECT_EQ(c.submission.rate_keys, 15u);
  EXPECT_EQ(c.dkim.key_dir, (d / "keys/dkim").string());  // relative to the file
  EXPECT_EQ(dkim_key_dir(c), (d / "keys/dkim").string());
  EXPECT_EQ(c.dkim.selector, "mail2026");
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.sink, "syslog");
}

TEST(ConfigLoad, EmptyDelimiterDisablesExtensions) {
  auto r = load_string("[addressing]\nrecipient_delimiter = \"\"\n", "/x/hostmail.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->addressing.recipient_delimiter, "");
}

TEST(ConfigLoad, RelayAndTransport) {
  Config defaults;
  EXPECT_EQ(defaults.relay.relayhost, "");
  EXPECT_TRUE(defaults.relay.dns_servers.empty());
  EXPECT_EQ(defaults.relay.dns_timeout_ms, 5000u);
  EXPECT_EQ(defaults.relay.dns_tries, 2u);
  EXPECT_EQ(defaults.relay.smtp_port, 25);
  EXPECT_EQ(defaults.relay.tls, "may");
  EXPECT_TRUE(defaults.relay.tls_policy.empty());
  EXPECT_TRUE(defaults.transport.empty());
  auto r = load_string(R"([relay]
relayhost = "[smarthost.example.net]:587"
dns_servers = ["127.0.0.1:5353", "192.0.2.53"]
dns_timeout_ms = 800
dns_tries = 3
smtp_port = 2525
tls = "encrypt"

[relay.tls_policy]
"bank.example" = "verify"

[transport]
"example.com" = "smtp:[in.example.net]:2525"
".example.com" = "error:5.7.1 no"
"old.example" = "discard"
)",
                       "/x/hostmail.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->relay.relayhost, "[smarthost.example.net]:587");
  EXPECT_EQ(r->relay.dns_servers, (std::vector<std::string>{"127.0.0.1:5353", "192.0.2.53"}));
  EXPECT_EQ(r->relay.dns_timeout_ms, 800u);
  EXPECT_EQ(r->relay.dns_tries, 3u);
  EXPECT_EQ(r->relay.smtp_port, 2525);
  EXPECT_EQ(r->relay.tls, "encrypt");
  EXPECT_EQ(r->relay.tls_policy,
            (std::vector<std::pair<std::string, std::string>>{{"bank.example", "verify"}}));
  using Entries = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(r->transport, (Entries{{".example.com", "error:5.7.1 no"},
                                   {"example.com", "smtp:[in.example.net]:2525"},
                                   {"old.example", "discard"}}));
}

TEST(ConfigLoad, TransportEntriesAreStringsAndChecked) {
  std::string msg = load_error("[transport]\n\"a.example\" = 25\n\"b.example\" = \"smtp:[x\"\n");
  EXPECT_THAT(msg, HasSubstr(":2: transport.a.example: wrong type: expected a string"));
  EXPECT_THAT(msg, HasSubstr(":3: transport.b.example: \"smtp:[x\": '[' without ']'"));
}

TEST(ConfigLoad, UnknownKeyNamesKeyLineAndKnownKeys) {
  std::string msg = load_error("# comment\n[server]\nhostname = \"a.example\"\nfoo = 1\n");
  EXPECT_EQ(msg,
            "/etc/hostmail/hostmail.toml:4: server.foo: unknown key 'foo' in [server]; known "
            "keys: hostname, postmaster_address; remove it or correct its spelling");
}

TEST(ConfigLoad, UnknownTableIsReported) {
  std::string msg = load_error("\n\n[srever]\nhostname = \"a.example\"\n");
  EXPECT_THAT(msg, HasSubstr("/etc/hostmail/hostmail.toml:3: srever: unknown table 'srever'"));
  EXPECT_THAT(msg,
              HasSubstr("known tables: addressing, admin, auth, directory, dkim, imap, "
                        "limits, listen, local, log, pop3, relay, server, storage, submission, "
                        "tls, transport"));
}

TEST(ConfigLoad, UnknownKeyInNestedTable) {
  std::string msg = load_error("[directory.ldap]\nuri = \"ldap://x\"\n");
  EXPECT_THAT(msg,
              HasSubstr(":2: directory.ldap.uri: unknown key 'uri' in [directory.ldap]; "
                        "known keys: account_attribute, account_filter, alias_attribute, "
                        "alias_filter, auth, base, bind_dn, bind_password_file, cache_ttl_s, "
                        "domain_filter, follow_changes, pool_size, timeout_ms, uris; remove it"));
}

TEST(ConfigLoad, WrongTypeNamesKeyLineAndExpectedType) {
  std::string msg = load_error("[limits]\n\nrecipients = \"many\"\n");
  EXPECT_EQ(msg,
            "/etc/hostmail/hostmail.toml:3: limits.recipients: wrong type: expected a whole "
            "number (without quotes), found a string");
}

TEST(ConfigLoad, WrongTypesOfEveryKind) {
  std::string msg = load_error(
      "[server]\nhostname = 5\n"                      // 2
      "[local]\nenabled = \"yes\"\n"                  // 4
      "[listen]\nsmtp = 25\nimap = [\"a:1\", 2]\n");  // 6, 7
  EXPECT_THAT(msg, HasSubstr(":2: server.hostname: wrong type: expected a string in quotes, "
                             "found an integer"));
  EXPECT_THAT(msg, HasSubstr(":4: local.enabled: wrong type: expected true or false"));
  EXPECT_THAT(msg, HasSubstr(":6: listen.smtp: wrong type: expected a string or an array of "
                             "strings, found an integer"));
  EXPECT_THAT(msg, HasSubstr(":7: listen.imap: array element is an integer"));
}

TEST(ConfigLoad, TopLevelValueWhereTableExpected) {
  std::string msg = load_error("log = 3\n");
  EXPECT_THAT(msg, HasSubstr(":1: log: wrong type: expected a table ([log]), found an integer"));
}

TEST(ConfigLoad, IntegerOutOfRange) {
  std::string msg = load_error("[limits]\nrecipients = -1\nalias_depth = 5000000000\n");
  EXPECT_THAT(msg, HasSubstr(":2: limits.recipients: -1 is out of range; use a whole number "
                             "from 0 to 4294967295"));
  EXPECT_THAT(msg, HasSubstr(":3: limits.alias_depth: 5000000000 is out of range"));
}

TEST(ConfigLoad, ReportsEveryProblemInFileOrder) {
  std::string msg = load_error(
      "[server]\n"                     // 1
      "hostname = \"mail.example\"\n"  // 2
      "colour = \"blue\"\n"            // 3: unknown key
      "[limits]\n"                     // 4
      "line_length = 80\n"             // 5: check(): too small
      "recipients = \"x\"\n"           // 6: wrong type
      "[log]\n"                        // 7
      "level = \"loud\"\n"             // 8: check(): unknown level
      "[directory]\n"                  // 9
      "backend = \"ldap\"\n");         // 10: check(): ldap without uris and base
  std::vector<std::string> lines;
  std::stringstream in(msg);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u) << msg;
  EXPECT_THAT(lines[0], HasSubstr(":3: server.colour: unknown key 'colour'"));
  EXPECT_THAT(lines[1], HasSubstr(":5: limits.line_length: 80 is too small"));
  EXPECT_THAT(lines[2], HasSubstr(":6: limits.recipients: wrong type"));
  EXPECT_THAT(lines[3], HasSubstr(":8: log.level: unknown level \"loud\""));
  // Absent keys have no line; they come last, in the order check() found them.
  EXPECT_THAT(lines[4], HasSubstr("hostmail.toml: directory.ldap.uris: no LDAP server given"));
  EXPECT_THAT(lines[5], HasSubstr("hostmail.toml: directory.ldap.base: must not be empty"));
}

TEST(ConfigLoad, SyntaxErrorHasLine) {
  std::string msg = load_error("[server]\nhostname = \"a.example\"\nport = \n");
  EXPECT_THAT(msg, HasSubstr("/etc/hostmail/hostmail.toml:3: TOML syntax error: "));
  EXPECT_THAT(msg, Not(HasSubstr("\n")));
}

TEST(ConfigLoad, RelativePathsResolveAgainstTheFilesDirectory) {
  auto r = load_string(
      "[directory.sqlite]\npath = \"data/dir.db\"\n"
      "[storage]\nvirtual_base = \"../vmail/./domains\"\nstate_dir = \"/abs/state\"\n",
      "/srv/hostmail/conf/hostmail.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->directory.sqlite.path, "/srv/hostmail/conf/data/dir.db");
  EXPECT_EQ(r->storage.virtual_base, "/srv/hostmail/vmail/domains");
  EXPECT_EQ(r->storage.state_dir, "/abs/state");
}

TEST(ConfigLoad, PathOfWrongTypeIsReportedOnce) {
  std::string msg = load_error("[tls]\ncert = 1\nkey = \"k.pem\"\nbogus = 2\n");
  EXPECT_THAT(msg, HasSubstr(":2: tls.cert: wrong type: expected a string in quotes, found an "
                             "integer"));
  EXPECT_THAT(msg,
              HasSubstr(":4: tls.bogus: unknown key 'bogus' in [tls]; known keys: cert, key;"));
}

TEST(ConfigLoad, RelativeConfigPathResolvesAgainstWorkingDirectory) {
  auto r = load_string("[storage]\nstate_dir = \"state\"\n", "hostmail.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->storage.state_dir, (fs::current_path() / "state").string());
}

TEST(ConfigLoad, LoadFileReadsAndResolves) {
  TempDir tmp;
  write_file(tmp.path() / "etc" / "hostmail.toml",
             "[server]\nhostname = \"mx.example.net\"\n[storage]\nstate_dir = \"spool\"\n");
  auto r = load_file((tmp.path() / "etc" / "hostmail.toml").string());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->server.hostname, "mx.example.net");
  EXPECT_EQ(r->storage.state_dir, (tmp.path() / "etc" / "spool").string());
  EXPECT_EQ(r->source_path, (tmp.path() / "etc" / "hostmail.toml").string());
}

TEST(ConfigLoad, LoadFileMissing) {
  TempDir tmp;
  auto r = load_file((tmp.path() / "nope.toml").string());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("nope.toml"));
  EXPECT_THAT(r.error().message(), HasSubstr("hostmail init"));
}

TEST(ConfigLoad, LoadFileProblemsNameTheFile) {
  TempDir tmp;
  std::string path = (tmp.path() / "bad.toml").string();
  write_file(path, "[log]\nsink = \"journal\"\n");
  auto r = load_file(path);
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr(path + ":2: log.sink: unknown sink \"journal\""));
}

TEST(ConfigLoad, FormatProblemLeavesOutUnknownParts) {
  EXPECT_EQ(format_problem({"f.toml", 3, "a.b", "bad; fix"}), "f.toml:3: a.b: bad; fix");
  EXPECT_EQ(format_problem({"f.toml", 0, "a.b", "bad; fix"}), "f.toml: a.b: bad; fix");
  EXPECT_EQ(format_problem({"f.toml", 2, "", "bad; fix"}), "f.toml:2: bad; fix");
  EXPECT_EQ(format_problem({"", 0, "a", "bad"}), "configuration: a: bad");
}

}  // namespace
}  // namespace hm::config
