// check(): what a configuration must satisfy beyond TOML types. Every rule
// here is one a person can act on, so each message ends with what to do.

#include <arpa/inet.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <utility>

#include "auth/password_scheme.h"
#include "base/strings.h"
#include "config/config.h"
#include "dkim/signing_key.h"

namespace hm::config {
namespace {

namespace fs = std::filesystem;

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A DNS name as RFC 1123 allows it: labels of letters, digits and inner
// hyphens, 1..63 long, 253 in all; a trailing dot is not accepted.
bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (const std::string& label : split(name, '.')) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!is_ascii_alnum(c) && c != '-') return false;
    }
  }
  return true;
}

bool is_ipv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

std::string quoted_list(std::initializer_list<std::string_view> names) {
  std::vector<std::string> parts;
  for (std::string_view n : names) parts.push_back(fmt::format("\"{}\"", n));
  return join(parts, ", ");
}

bool one_of(std::string_view value, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), value) != names.end();
}

class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}

  void add(std::string key, std::string message) {
    problems_.push_back(Problem{file_, 0, std::move(key), std::move(message)});
  }

  void not_empty(const std::string& key, const std::string& value, std::string_view what_to_do) {
    if (value.empty()) add(key, fmt::format("must not be empty; {}", what_to_do));
  }

  void at_least(const std::string& key, int64_t value, int64_t min, std::string_view why = {}) {
    if (value < min) {
      add(key, fmt::format("{} is too small{}; use at least {}", value,
                           why.empty() ? "" : fmt::format(" ({})", why), min));
    }
  }

  // Paths reach check() resolved when they came from a file; a relative one
  // can only come from code, where there is no file to anchor it.
  void absolute_path(const std::string& key, const std::string& value) {
    if (!value.empty() && fs::path(value).is_relative()) {
      add(key, fmt::format("'{}' is a relative path; give an absolute path", value));
    }
  }

  void existing_file(const std::string& key, const std::string& value, std::string_view what) {
    if (value.empty()) return;
    std::error_code ec;
    fs::file_status st = fs::status(value, ec);
    if (!fs::exists(st)) {
      add(key,
          fmt::format("file {} does not exist; create it ({}) or correct the path", value, what));
    } else if (!fs::is_regular_file(st)) {
      add(key, fmt::format("{} is not a regular file; point it at the {}", value, what));
    }
  }

  std::vector<Problem> take() { return std::move(problems_); }

 private:
  std::string file_;
  std::vector<Problem> problems_;
};

void check_listen(Checker& k, const ListenConfig& listen) {
  const std::array<std::pair<std::string_view, const std::vector<std::string>*>, 8> services = {{
      {"smtp", &listen.smtp},
      {"submission", &listen.submission},
      {"smtps", &listen.smtps},
      {"imap", &listen.imap},
      {"imaps", &listen.imaps},
      {"pop3", &listen.pop3},
      {"pop3s", &listen.pop3s},
      {"admin", &listen.admin},
  }};
  // Normalized "host:port" -> the service that claimed it first.
  std::map<std::string, std::string> seen;
  for (const auto& [service, addresses] : services) {
    std::string key = fmt::format("listen.{}", service);
    for (const std::string& address : *addresses) {
      auto parsed = parse_host_port(address);
      if (!parsed) {
        k.add(key, parsed.error().message());
        continue;
      }
      std::string id = fmt::format("{}|{}", ascii_lower(parsed->host), parsed->port);
      auto [it, inserted] = seen.emplace(id, key);
      if (!inserted) {
        k.add(key, fmt::format("address {} is also listed in {}; an address can serve only one "
                               "service, so remove one of them",
                               address, it->second));
      }
    }
  }
}

// What is wrong with a Postfix-style LDAP filter, or "".
std::string ldap_filter_problem(std::string_view f) {
  if (f.size() < 2 || f.front() != '(' || f.back() != ')') {
    return fmt::format("'{}' must be enclosed in parentheses, e.g. (&(mail=%s)(objectClass=...))",
                       f);
  }
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') continue;
    char next = i + 1 < f.size() ? f[i + 1] : '\0';
    if (next != 's' && next != 'u' && next != 'd' && next != '%') {
      return fmt::format(
          "'{}' has a '%' that is not %s (address), %u (local part), %d (domain) "
          "or %% (a '%')",
          f);
    }
    ++i;
  }
  return {};
}

void check_directory(Checker& k, const DirectoryConfig& d) {
  if (!one_of(d.backend, {"sqlite", "ldap"})) {
    k.add("directory.backend", fmt::format("unknown backend \"{}\"; use one of {}", d.backend,
                                           quoted_list({"sqlite", "ldap"})));
  }
  if (d.backend == "sqlite") {
    k.not_empty("directory.sqlite.path", d.sqlite.path,
                "name the SQLite database file, e.g. /var/lib/hostmail/directory.db");
    k.absolute_path("directory.sqlite.path", d.sqlite.path);
  }
  const LdapConfig& l = d.ldap;
  if (d.backend == "ldap") {
    if (l.uris.empty()) {
      k.add("directory.ldap.uris",
            "no LDAP server given; list at least one, e.g. uris = [\"ldap://127.0.0.1\"]");
    }
    for (const std::string& uri : l.uris) {
      std::string lower = ascii_lower(uri);
      if (!lower.starts_with("ldap://") && !lower.starts_with("ldaps://") &&
          !lower.starts_with("ldapi://")) {
        k.add("directory.ldap.uris",
              fmt::format("'{}' is not an LDAP URI; write ldap://HOST, ldaps://HOST or "
                          "ldapi://SOCKET",
                          uri));
      }
    }
    k.not_empty("directory.ldap.base", l.base,
                "set it to the search base, e.g. \"o=hosting,dc=myhosting,dc=example\"");
  }
  if (!one_of(l.auth, {"bind", "compare"})) {
    k.add("directory.ldap.auth", fmt::format("unknown method \"{}\"; use one of {}", l.auth,
                                             quoted_list({"bind", "compare"})));
  }
  if (!one_of(l.follow_changes, {"auto", "on", "off"})) {
    k.add("directory.ldap.follow_changes",
          fmt::format("unknown value \"{}\"; use one of {}", l.follow_changes,
                      quoted_list({"auto", "on", "off"})));
  }
  if (!l.bind_password_file.empty() && l.bind_dn.empty()) {
    k.add("directory.ldap.bind_password_file",
          "is set but bind_dn is not; set bind_dn too, or remove bind_password_file to bind "
          "anonymously");
  }
  if (!l.bind_dn.empty() && l.bind_password_file.empty()) {
    k.add("directory.ldap.bind_dn",
          "is set but bind_password_file is not; name a file holding bind_dn's password");
  }
  k.absolute_path("directory.ldap.bind_password_file", l.bind_password_file);
  if (d.backend == "ldap") {
    k.existing_file("directory.ldap.bind_password_file", l.bind_password_file,
                    "the file holding bind_dn's password");
  }
  k.at_least("directory.ldap.timeout_ms", l.timeout_ms, 1);
  k.at_least("directory.ldap.cache_ttl_s", l.cache_ttl_s, 0);
  k.at_least("directory.ldap.pool_size", l.pool_size, 0, "0 means one per concurrent lookup");
  for (auto [key, value] : {std::pair{"directory.ldap.account_filter", &l.account_filter},
                            std::pair{"directory.ldap.alias_filter", &l.alias_filter},
                            std::pair{"directory.ldap.domain_filter", &l.domain_filter}}) {
    std::string problem = ldap_filter_problem(*value);
    if (!problem.empty()) k.add(key, problem);
  }
  k.not_empty("directory.ldap.account_attribute", l.account_attribute,
              "name the attribute holding an account's mailbox, e.g. \"mailbox\"");
  k.not_empty("directory.ldap.alias_attribute", l.alias_attribute,
              "name the attribute holding an alias's destinations, e.g. \"maildrop\"");
}

void check_storage(Checker& k, const StorageConfig& s) {
  k.not_empty("storage.virtual_base", s.virtual_base,
              "name the directory virtual mailboxes go under, e.g. /var/vmail/domains");
  k.absolute_path("storage.virtual_base", s.virtual_base);
  k.not_empty("storage.state_dir", s.state_dir,
              "name a directory for the queue, e.g. /var/spool/hostmail");
  k.absolute_path("storage.state_dir", s.state_dir);
  k.not_empty("storage.vmail_user", s.vmail_user, "name the user that owns virtual mail");
  k.not_empty("storage.vmail_group", s.vmail_group, "name the group that owns virtual mail");
}

void check_tls(Checker& k, const TlsConfig& t) {
  if (!t.cert.empty() && t.key.empty()) {
    k.add("tls.cert", "is set but tls.key is not; set both or neither");
  } else if (t.cert.empty() && !t.key.empty()) {
    k.add("tls.key", "is set but tls.cert is not; set both or neither");
  }
  k.absolute_path("tls.cert", t.cert);
  k.absolute_path("tls.key", t.key);
  k.existing_file("tls.cert", t.cert, "the PEM certificate chain");
  k.existing_file("tls.key", t.key, "the PEM private key");
}

void check_limits(Checker& k, const LimitsConfig& l) {
  k.at_least("limits.message_size",
             static_cast<int64_t>(std::min<uint64_t>(l.message_size, uint64_t{INT64_MAX})), 1);
  k.at_least("limits.recipients", l.recipients, 1);
  k.at_least("limits.line_length", l.line_length, 1000, "RFC 5321 requires 1000");
  k.at_least("limits.command_timeout_s", l.command_timeout_s, 1);
  k.at_least("limits.data_timeout_s", l.data_timeout_s, 1);
  k.at_least("limits.data_min_rate", l.data_min_rate, 1);
  k.at_least("limits.connections_per_ip", l.connections_per_ip, 1);
  k.at_least("limits.max_sessions", l.max_sessions, 1);
  k.at_least("limits.errors_per_session", l.errors_per_session, 1);
  k.at_least("limits.alias_depth", l.alias_depth, 1);
}

void check_imap(Checker& k, const Config& c) {
  const ImapConfig& i = c.imap;
  if (!one_of(i.namespace_style, {"dovecot", "courier"})) {
    k.add("imap.namespace",
          fmt::format("'{}' is not a namespace style; use {} (what clients of a server moved "
                      "from Dovecot or Courier have saved)",
                      i.namespace_style, quoted_list({"dovecot", "courier"})));
  }
  if (!one_of(i.login_on_plaintext, {"loopback", "always", "never"})) {
    k.add("imap.login_on_plaintext",
          fmt::format("'{}' is not allowed; use {}", i.login_on_plaintext,
                      quoted_list({"loopback", "always", "never"})));
  } else if (i.login_on_plaintext == "never" && c.tls.cert.empty() && !c.listen.imap.empty()) {
    k.add("imap.login_on_plaintext",
          "is \"never\" but no [tls] certificate is configured, so no IMAP client could log in; "
          "configure [tls] cert and key, or allow \"loopback\"");
  }
  k.at_least("imap.idle_timeout_s", i.idle_timeout_s, 60);
  k.at_least("imap.line_length", i.line_length, 1000,
             "clients send long UID sets; RFC 7162 asks for 8192");
  k.at_least("imap.append_limit",
             static_cast<int64_t>(std::min<uint64_t>(i.append_limit, uint64_t{INT64_MAX})), 1024);
  k.at_least("imap.max_sessions", i.max_sessions, 1);
  k.at_least("imap.connections_per_ip", i.connections_per_ip, 1);
  k.at_least("imap.errors_per_session", i.errors_per_session, 1);
}

}  // namespace

Result<HostPort> parse_host_port(std::string_view address) {
  auto bad = [&](std::string_view why) {
    return fail(ErrorKind::kInvalid,
                fmt::format("'{}' is not a listen address: {}; write HOST:PORT, e.g. "
                            "0.0.0.0:25, 127.0.0.1:2525 or [::]:25",
                            address, why));
  };
  HostPort out;
  std::string_view port;
  if (address.starts_with('[')) {
    size_t close = address.find(']');
    if (close == std::string_view::npos) return bad("'[' without ']'");
    out.host = std::string(address.substr(1, close - 1));
    if (!is_ipv6(out.host)) return bad("what is in brackets is not an IPv6 address");
    if (close + 1 >= address.size() || address[close + 1] != ':') {
      return bad("the port is missing after ']'");
    }
    port = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return bad("the port is missing");
    out.host = std::string(address.substr(0, colon));
    port = address.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) {
      return bad("an IPv6 address must be in brackets");
    }
    if (out.host.empty()) return bad("the host is missing (0.0.0.0 means every IPv4 address)");
    if (!is_ipv4(out.host) && !is_host_name(out.host)) {
      return bad("the host is neither an IP address nor a host name");
    }
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return bad("the port must be a number from 1 to 65535");
  }
  int value = 0;
  for (char c : port) value = value * 10 + (c - '0');
  if (value < 1 || value > 65535) return bad("the port must be a number from 1 to 65535");
  out.port = static_cast<uint16_t>(value);
  return out;
}

std::vector<Problem> check(const Config& c) {
  Checker k(c.source_path);

  if (!is_host_name(c.server.hostname)) {
    k.add("server.hostname",
          fmt::format("'{}' is not a host name; set it to this machine's fully qualified name, "
                      "e.g. \"mail.example.org\"",
                      c.server.hostname));
  }
  const std::string& pm = c.server.postmaster_address;
  if (!pm.empty() && (pm.find('@') == std::string::npos || pm.front() == '@' || pm.back() == '@' ||
                      pm.find_first_of(" \t<>") != std::string::npos)) {
    k.add("server.postmaster_address",
          fmt::format("'{}' is not an address; give the address of the person who reads mail "
                      "for postmaster, e.g. \"hostmaster@example.org\"",
                      pm));
  }
  check_listen(k, c.listen);
  check_directory(k, c.directory);
  check_storage(k, c.storage);
  if (c.local.enabled) {
    k.not_empty("local.pam_service", c.local.pam_service,
                "name the PAM service for local users, e.g. \"hostmail\"");
    k.at_least("local.delivery_timeout_s", c.local.delivery_timeout_s, 1);
    if (c.local.delivery_timeout_s >= c.limits.data_timeout_s) {
      k.add("local.delivery_timeout_s",
            fmt::format("{} s is not below [limits] data_timeout_s ({} s): a local delivery runs "
                        "while the sender waits for the answer to DATA; make it shorter",
                        c.local.delivery_timeout_s, c.limits.data_timeout_s));
    }
  }
  check_tls(k, c.tls);
  check_imap(k, c);

  k.not_empty("admin.superuser", c.admin.superuser, "name the superuser, e.g. \"admin\"");
  const std::string& hash = c.admin.superuser_password_hash;
  if (!hash.empty() && (!hash.starts_with('{') || hash.find('}') == std::string::npos)) {
    k.add("admin.superuser_password_hash",
          "is not a password hash of the form {SCHEME}...; make one with `hostmail "
          "passwd-hash` and paste its output here");
  }

  check_limits(k, c.limits);

  for (char ch : c.addressing.recipient_delimiter) {
    auto u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u >= 0x7f || ch == '@' || ch == '"' || ch == '\\' || is_ascii_alnum(ch)) {
      k.add("addressing.recipient_delimiter",
            fmt::format("\"{}\" cannot separate an address extension (letters, digits, '@', "
                        "quotes, backslash, spaces and non-ASCII are not allowed); use "
                        "punctuation such as \"+\" or \"-\", or \"\" to turn extensions off",
                        c.addressing.recipient_delimiter));
      break;
    }
  }

  // The list is the password library's own, so the two cannot drift apart.
  const std::vector<std::string> schemes = auth::supported_schemes();
  if (std::find(schemes.begin(), schemes.end(), c.auth.password_scheme) == schemes.end()) {
    std::string names;
    for (const std::string& name : schemes) names += (names.empty() ? "\"" : ", \"") + name + "\"";
    k.add("auth.password_scheme",
          fmt::format("unknown scheme \"{}\"; use one of {} (upper case, without braces)",
                      c.auth.password_scheme, names));
  }

  // A proven login stays good this long after the password changed in an
  // LDAP directory that hostmail does not write to (its own changes drop
  // the entry at once): a day is the most an administrator should accept.
  if (c.auth.credential_cache_ttl_s > 86400) {
    k.add("auth.credential_cache_ttl_s",
          fmt::format("{} is too large; use at most 86400 (a day), or 0 to turn the cache off",
                      c.auth.credential_cache_ttl_s));
  }

  k.absolute_path("dkim.key_dir", c.dkim.key_dir);
  // The selector's rule is the signer's own (a DNS label, and a file name).
  if (auto selector = dkim::check_selector(c.dkim.selector); !selector) {
    k.add("dkim.selector", selector.error().message());
  }

  if (!one_of(c.log.level, {"debug", "info", "warning", "error"})) {
    k.add("log.level", fmt::format("unknown level \"{}\"; use one of {}", c.log.level,
                                   quoted_list({"debug", "info", "warning", "error"})));
  }
  if (!one_of(c.log.sink, {"stderr", "syslog"})) {
    k.add("log.sink", fmt::format("unknown sink \"{}\"; use one of {}", c.log.sink,
                                  quoted_list({"stderr", "syslog"})));
  }
  return k.take();
}

}  // namespace hm::config
