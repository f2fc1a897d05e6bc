#pragma once
// hm::config: hostmail's configuration file (TOML), its defaults, and its
// validation.
//
// A Config is a plain value. Every member has the production default, so a
// default-constructed Config is what an empty file means; load_file() and
// load_string() start from it and overwrite what the file sets. The structs
// mirror the file: `cfg.directory.ldap.uris` is `[directory.ldap] uris`.
// docs/configuration.md describes every key.
//
// Loading reports every problem at once (unknown keys, wrong types, values
// out of range, then the semantic checks of check()), one per line, as
// "FILE:LINE: KEY: what is wrong; what to do", so that `hostmail check-config`
// can print the message as it is. Only a TOML syntax error stops the reading
// early, because the rest of the file cannot be trusted after it.
//
// Relative paths in a file are resolved against the directory of that file,
// so a Config's paths are absolute whenever they came from a file.
//
// Thread-safety: all functions are reentrant; a Config is safe to read from
// many threads once loaded. find_config_file() reads the environment, so it
// must not race with setenv().

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::config {

// Addresses to listen on, each "host:port" or "[ipv6]:port". An empty list
// disables that service.
struct ListenConfig {
  std::vector<std::string> smtp = {"0.0.0.0:25", "[::]:25"};
  std::vector<std::string> submission = {"0.0.0.0:587", "[::]:587"};
  std::vector<std::string> smtps = {"0.0.0.0:465", "[::]:465"};
  std::vector<std::string> imap = {"0.0.0.0:143", "[::]:143"};
  std::vector<std::string> imaps = {"0.0.0.0:993", "[::]:993"};
  std::vector<std::string> pop3 = {"0.0.0.0:110", "[::]:110"};
  std::vector<std::string> pop3s = {"0.0.0.0:995", "[::]:995"};
  std::vector<std::string> admin = {"127.0.0.1:8080"};
};

// The machine's host name as gethostname() reports it, lower-cased;
// "localhost" if it cannot be had. Never asks DNS.
std::string default_hostname();

struct ServerConfig {
  std::string hostname = default_hostname();  // greeting, Received:, bounces
  // Where mail for postmaster (and a domain's abuse) goes when nothing else
  // takes it (RFC 5321 4.5.1); empty: such mail is refused for now (4xx).
  std::string postmaster_address;
};

struct SqliteConfig {
  std::string path = "/var/lib/hostmail/directory.db";
};

struct LdapConfig {
  std::vector<std::string> uris;  // ldap://, ldaps:// or ldapi:// URIs, tried in order
  std::string base;               // e.g. "o=hosting,dc=myhosting,dc=example"
  std::string bind_dn;            // empty: bind anonymously for lookups
  std::string bind_password_file;
  std::string auth = "bind";  // "bind" (as the user) or "compare" (hashes)
  int timeout_ms = 5000;
  int cache_ttl_s = 30;  // 0 disables the cache
  // Keep the cache coherent by following the server's changes (RFC 4533,
  // slapd's syncprov): "auto" when the server offers it, "on", or "off".
  std::string follow_changes = "auto";
  int pool_size = 0;  // connections; 0: one per concurrent caller (never wait)
  // Postfix-style search filters: %s the whole address, %u its local part,
  // %d its domain (values escaped per RFC 4515), %% a '%'.
  std::string account_filter = "(&(mail=%s)(objectClass=CourierMailAccount))";
  std::string alias_filter = "(&(mail=%s)(objectClass=CourierMailAlias))";
  std::string domain_filter = "(&(o=%d)(objectClass=organization))";
  std::string account_attribute = "mailbox";  // an account's mailbox path
  std::string alias_attribute = "maildrop";   // an alias's destinations
};

struct DirectoryConfig {
  std::string backend = "sqlite";  // "sqlite" or "ldap"
  SqliteConfig sqlite;
  LdapConfig ldap;
};

struct StorageConfig {
  std::string virtual_base = "/var/vmail/domains";  // <virtual_base>/<domain>/<user>/
  std::string vmail_user = "vmail";
  std::string vmail_group = "vmail";
  std::string state_dir = "/var/spool/hostmail";  // queue and other state
};

struct LocalConfig {
  bool enabled = false;         // deliver to shell users of this machine
  std::string mailbox_command;  // e.g. "/usr/bin/procmail"; empty: ~/Maildir/
  std::string pam_service = "hostmail";
  // aliases(5) file for local names ("postmaster", "abuse", "root"); "" = none.
  std::string aliases = "/etc/aliases";
  // Shell accounts below this uid (and root) never log in nor receive mail themselves.
  uint32_t first_valid_uid = 1000;
  // Longest a local delivery (Maildir write or mailbox_command) may take
  // before it is stopped and retried from the queue. It runs while the
  // sender waits for the answer to its DATA, so it must stay well below
  // [limits] data_timeout_s and senders' own 10 minutes (RFC 5321 4.5.3.2.6).
  uint32_t delivery_timeout_s = 60;
};

struct TlsConfig {
  std::string cert;  // PEM certificate chain; both or neither
  std::string key;   // PEM private key
};

struct AdminConfig {
  std::string superuser = "admin";
  std::string superuser_password_hash;  // "{SCHEME}..."; empty: the superuser cannot log in
};

struct LimitsConfig {
  uint64_t message_size = 50ull * 1024 * 1024;  // bytes
  uint32_t recipients = 1000;                   // per message
  uint32_t line_length = 1000;                  // octets incl. CRLF; at least 1000 (RFC 5321)
  uint32_t command_timeout_s = 300;
  uint32_t data_timeout_s = 600;
  uint32_t data_min_rate = 500;      // bytes per second, averaged over a message transfer
  uint32_t connections_per_ip = 50;  // Postfix's smtpd_client_connection_count_limit
  uint32_t max_sessions = 500;       // SMTP sessions in all
  uint32_t errors_per_session = 10;
  uint32_t alias_depth = 20;
};

// [imap]: the IMAP server on [listen] imap and imaps.
struct ImapConfig {
  // Mailbox names: "dovecot" (no prefix, '/' separator) or "courier"
  // ("INBOX." prefix, '.' separator).
  std::string namespace_style = "dovecot";
  // LOGIN/AUTHENTICATE without TLS: "loopback" (only from 127.0.0.0/8 and
  // ::1), "always" or "never".
  std::string login_on_plaintext = "loopback";
  uint32_t idle_timeout_s = 1800;               // RFC 3501 5.4: at least 30 minutes
  uint32_t line_length = 8192;                  // octets of a command line, without literals
  uint64_t append_limit = 50ull * 1024 * 1024;  // largest message APPEND takes (APPENDLIMIT)
  uint32_t max_sessions = 1000;                 // IMAP sessions in all
  uint32_t connections_per_ip = 50;
  uint32_t errors_per_session = 20;  // BAD answers and failed logins before BYE
};

struct AddressingConfig {
  // Each character separates a local part from its extension
  // ("joe+lists@" -> "joe@"); empty disables extensions.
  std::string recipient_delimiter = "+";
};

struct AuthConfig {
  std::string password_scheme = "CRYPT-YESCRYPT";  // for new hashes; see auth/password_scheme.h
  // Proven logins remembered (auth/credential_cache.h): how long, and how
  // many at most; 0 in either turns the cache off.
  uint32_t credential_cache_ttl_s = 300;
  uint32_t credential_cache_entries = 100000;
};

// DKIM signing of outgoing mail (src/dkim): where the keys are and which
// selector signs. The keys are made by `hostmail dkim keygen`.
struct DkimConfig {
  // <key_dir>/<domain>/<selector>.key; empty: <storage.state_dir>/dkim
  // (dkim_key_dir() below resolves it).
  std::string key_dir;
  // The selector new keys get and a domain signs with (dkim/key_store.h).
  std::string selector = "default";
};

struct LogConfig {
  std::string level = "info";   // debug, info, warning, error
  std::string sink = "stderr";  // stderr or syslog
};

struct Config {
  std::string source_path;  // the file it came from, as given; empty if built in code
  ServerConfig server;
  ListenConfig listen;
  DirectoryConfig directory;
  StorageConfig storage;
  LocalConfig local;
  TlsConfig tls;
  AdminConfig admin;
  LimitsConfig limits;
  ImapConfig imap;
  AddressingConfig addressing;
  AuthConfig auth;
  DkimConfig dkim;
  LogConfig log;
};

// [dkim] key_dir, or its default under [storage] state_dir.
std::string dkim_key_dir(const Config& config);

// One thing wrong with a configuration.
struct Problem {
  std::string file;
  int line = 0;         // 0: not known (a default, or found by check())
  std::string key;      // dotted: "directory.ldap.uris"; empty for a syntax error
  std::string message;  // what is wrong; what to do
};

// "FILE:LINE: KEY: message", leaving out the parts that are unknown.
std::string format_problem(const Problem& problem);

// Reads, parses and validates a file. kNotFound/kPermission if it cannot be
// read; kInvalid listing every problem, one per line, if it is wrong.
Result<Config> load_file(const std::string& path);
// The same for text already in memory; path_for_messages names it in
// problems and its directory anchors relative paths.
Result<Config> load_string(std::string_view toml, const std::string& path_for_messages);

// The checks beyond syntax and types: addresses, known names, values that
// only make sense together, files that must exist. load_* run these too.
// Problems carry config.source_path as file and no line.
std::vector<Problem> check(const Config& config);

// A listen address split into its parts; the host keeps no brackets.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
// Parses "host:port", "1.2.3.4:port" or "[ipv6]:port" (port 1..65535).
// kInvalid with a message saying what is wrong otherwise.
Result<HostPort> parse_host_port(std::string_view address);

// Which file `hostmail [--config FILE]` reads: explicit_path if not empty,
// else $HOSTMAIL_CONFIG if set and not empty, else ./hostmail.toml, else
// /etc/hostmail/hostmail.toml. A path named explicitly (argument or
// variable) must exist; it is never passed over for a default. kNotFound
// says where it looked and to run `hostmail init`.
Result<std::string> find_config_file(const std::string& explicit_path);

// The commented starter file `hostmail init --dir DIR` writes: every path
// under DIR (made absolute), listeners on 127.0.0.1 with unprivileged ports,
// and, unless running as root, the current user and group as vmail_user and
// vmail_group. check() passes once DIR/tls/cert.pem and key.pem exist.
// Run as root, `vmail_user` / `vmail_group` name the user the daemon runs as
// (what `hostmail init --vmail-user` created or found). The SQLite database
// goes under DIR/state, which that user owns, so that DIR itself (with the
// configuration and the TLS key) stays root's.
std::string starter_config(const std::string& dir, bool running_as_root,
                           const std::string& vmail_user = "vmail",
                           const std::string& vmail_group = "vmail");

}  // namespace hm::config
