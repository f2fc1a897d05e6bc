// Finding the configuration file, and the starter file `hostmail init` writes.

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "base/strings.h"
#include "config/config.h"

namespace hm::config {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kEnvVar = "HOSTMAIL_CONFIG";
constexpr std::string_view kLocalFile = "./hostmail.toml";
constexpr std::string_view kSystemFile = "/etc/hostmail/hostmail.toml";

bool is_file(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// A path the person named must be exactly that file: falling back to a
// default would run the server with a configuration nobody asked for.
Result<std::string> named_file(const std::string& path, std::string_view named_by) {
  if (is_file(path)) return path;
  std::error_code ec;
  std::string why = fs::exists(path, ec) ? "is not a regular file" : "does not exist";
  return fail(ErrorKind::kNotFound,
              fmt::format("configuration file {} (named by {}) {}; correct the path, or create "
                          "a starter configuration with `hostmail init --dir DIR`",
                          path, named_by, why));
}

// A TOML basic string holding s.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04X}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

struct Owner {
  std::string user = "vmail";
  std::string group = "vmail";
};

// The effective user and its primary group; "vmail" for what cannot be
// looked up, which check() still accepts and `serve` will then report.
Owner current_owner() {
  Owner owner;
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd pw{};
  passwd* pw_result = nullptr;
  if (getpwuid_r(geteuid(), &pw, buf.data(), buf.size(), &pw_result) != 0 || !pw_result) {
    return owner;
  }
  owner.user = pw.pw_name;
  gid_t gid = pw.pw_gid;
  size = sysconf(_SC_GETGR_R_SIZE_MAX);
  std::vector<char> gbuf(size > 0 ? static_cast<size_t>(size) : 16384);
  group gr{};
  group* gr_result = nullptr;
  if (getgrgid_r(gid, &gr, gbuf.data(), gbuf.size(), &gr_result) == 0 && gr_result) {
    owner.group = gr.gr_name;
  }
  return owner;
}

}  // namespace

Result<std::string> find_config_file(const std::string& explicit_path) {
  if (!explicit_path.empty()) return named_file(explicit_path, "--config");
  const char* env = std::getenv(std::string(kEnvVar).c_str());
  if (env && *env) return named_file(env, fmt::format("${}", kEnvVar));
  for (std::string_view candidate : {kLocalFile, kSystemFile}) {
    if (is_file(std::string(candidate))) return std::string(candidate);
  }
  return fail(ErrorKind::kNotFound,
              fmt::format("no configuration file found: looked for --config FILE, ${}, {} and "
                          "{}; run `hostmail init --dir DIR` to create a starter configuration, "
                          "then pass --config DIR/hostmail.toml",
                          kEnvVar, kLocalFile, kSystemFile));
}

std::string starter_config(const std::string& dir, bool running_as_root,
                           const std::string& vmail_user, const std::string& vmail_group) {
  std::error_code ec;
  fs::path base = fs::absolute(dir, ec);
  if (ec) base = dir;
  base = base.lexically_normal();
  // "DIR/" normalizes to "DIR/" with an empty file name; drop it.
  if (base.has_relative_path() && !base.has_filename()) base = base.parent_path();
  auto under = [&](std::string_view rel) { return quote((base / rel).string()); };

  Owner owner = running_as_root ? Owner{vmail_user, vmail_group} : current_owner();

  return fmt::format(
      R"(# hostmail configuration, written by `hostmail init`.
# Every key is described in docs/configuration.md; a key left out takes its
# default. Relative paths are resolved against this file's directory.
# Check the file with `hostmail check-config --config THIS_FILE`.

[server]
# Name used in the SMTP greeting, Received: headers and bounces. Set it to
# the machine's fully qualified name, e.g. "mail.example.org".
hostname = {hostname}
# Who reads mail for postmaster@ and abuse@ of every domain when nothing
# else takes it (RFC 5321 requires that postmaster mail reaches a person).
# Until it is set, such mail is refused with a temporary error.
# postmaster_address = "you@example.org"

# Addresses to listen on: "host:port" or "[ipv6]:port"; [] turns a service
# off. These are unprivileged ports on loopback for trying hostmail out; a
# production server uses 25, 587, 465, 143, 993, 110 and 995 on 0.0.0.0 and [::].
[listen]
smtp = ["127.0.0.1:2525"]
submission = ["127.0.0.1:2587"]
smtps = ["127.0.0.1:2465"]
imap = ["127.0.0.1:2143"]
imaps = ["127.0.0.1:2993"]
pop3 = ["127.0.0.1:2110"]
pop3s = ["127.0.0.1:2995"]
admin = ["127.0.0.1:8080"]  # web administration; keep it on loopback

[directory]
# Where domains, accounts and aliases live: "sqlite" (one file) or "ldap".
backend = "sqlite"

[directory.sqlite]
path = {sqlite}

# To use an OpenLDAP server instead, set backend = "ldap" and fill in:
# [directory.ldap]
# uris = ["ldap://127.0.0.1"]
# base = "o=hosting,dc=myhosting,dc=example"
# bind_dn = "cn=hostmail,dc=myhosting,dc=example"
# bind_password_file = "ldap-password"
# auth = "bind"

[storage]
# Virtual mailboxes are Maildirs under virtual_base/<domain>/<user>/,
# owned by vmail_user:vmail_group.
virtual_base = {vmail}
vmail_user = {user}
vmail_group = {group}
# The queue and other state.
state_dir = {state}

[local]
# Deliver to shell users of this machine (~/Maildir/, PAM logins).
enabled = false
# Local names such as "postmaster", "abuse" and "root" are looked up in this
# aliases(5) file (read by hostmail itself; no newaliases needed).
aliases = "/etc/aliases"

[tls]
# PEM certificate chain and private key, for STARTTLS and ports 465/993/995.
cert = {cert}
key = {key}

[admin]
superuser = "admin"
# superuser_password_hash = "{{CRYPT}}$y$..."  # from `hostmail passwd-hash`

[limits]
message_size = 52_428_800  # bytes (50 MiB)
recipients = 1000

[imap]
# Mailbox names: "dovecot" (Sent, Archive/2024) or "courier" (INBOX.Sent,
# INBOX.Archive.2024): keep the style of the server this one replaces, as
# clients have the names saved.
namespace = "dovecot"
# Passwords without TLS: "loopback" (only from this machine), "always", "never".
login_on_plaintext = "loopback"

[addressing]
# "joe+lists@example.org" is delivered to joe@example.org; "" turns it off.
recipient_delimiter = "+"

[auth]
password_scheme = "CRYPT-YESCRYPT"  # for new passwords: {{CRYPT}}$y$, which slapd checks too

[dkim]
# Keys of `hostmail dkim keygen DOMAIN`, in key_dir (default: state_dir/dkim).
selector = "default"

[log]
level = "info"  # debug, info, warning, error
sink = "stderr"  # or "syslog"
)",
      fmt::arg("hostname", quote(default_hostname())),
      fmt::arg("sqlite", under("state/directory.db")), fmt::arg("vmail", under("vmail/domains")),
      fmt::arg("user", quote(owner.user)), fmt::arg("group", quote(owner.group)),
      fmt::arg("state", under("state")), fmt::arg("cert", under("tls/cert.pem")),
      fmt::arg("key", under("tls/key.pem")));
}

}  // namespace hm::config
