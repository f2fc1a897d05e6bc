#include "admin/cli/init_command.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <system_error>

#include "admin/cli/exit_status.h"
#include "auth/password_scheme.h"
#include "config/config.h"
#include "directory/address.h"
#include "directory/directory_factory.h"
#include "directory/home_directory.h"
#include "directory/system_aliases.h"
#include "net/self_signed_cert.h"

namespace hm::admin::cli {
namespace fs = std::filesystem;

namespace {

Status make_dir(const fs::path& p, fs::perms perms) {
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec) return fail(ErrorKind::kPermission, "cannot create " + p.string() + ": " + ec.message());
  fs::permissions(p, perms, ec);
  return ok();
}

std::string first_or(const std::vector<std::string>& v, const std::string& fallback) {
  return v.empty() ? fallback : v.front();
}

// The unprivileged user `serve` runs as when started as root.
struct VmailUser {
  std::string user;
  std::string group;
  uid_t uid = 0;
  gid_t gid = 0;
};

// A name useradd accepts and that cannot be taken for an option.
bool valid_user_name(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && ((c >= '0' && c <= '9') || c == '-'));
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string> useradd_command(const std::string& user) {
  std::vector<std::string> argv = {"useradd", "--system"};
  if (getgrnam(user.c_str())) {
    argv.insert(argv.end(), {"--gid", user});  // the group exists: join it
  } else {
    argv.push_back("--user-group");
  }
  argv.insert(argv.end(), {"--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", user});
  return argv;
}

std::string shell_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& a : argv) line += (line.empty() ? "" : " ") + a;
  return line;
}

// Runs a program found in PATH and waits for it; its output goes where ours goes.
Status run_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int err = posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ);
  if (err != 0) return fail(ErrorKind::kNotFound, argv[0] + ": " + std::strerror(err));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail(ErrorKind::kInternal, argv[0] + ": waitpid failed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return fail(ErrorKind::kPermission,
                argv[0] + " failed (exit status " +
                    std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  }
  return ok();
}

// Looks the user up, creating it (with a group of the same name) when it is
// missing, as scripts/run.sh does.
Result<VmailUser> ensure_vmail_user(const std::string& name, const fs::path& dir) {
  if (!valid_user_name(name)) {
    return fail(ErrorKind::kInvalid, "--vmail-user '" + name +
                                         "' is not a user name (lower-case letters, digits, '_', "
                                         "'-'; at most 32)");
  }
  if (!getpwnam(name.c_str())) {
    auto argv = useradd_command(name);
    Status made = run_program(argv);
    if (!made || !getpwnam(name.c_str())) {
      std::string why = made ? std::string("it is still missing") : made.error().message();
      return fail(ErrorKind::kPermission,
                  "cannot create the system user " + name + " (" + why +
                      "); nothing was written. Create it, then run init again: `" +
                      shell_line(argv) + "`, then `hostmail init --dir " + dir.string() +
                      (name == "vmail" ? std::string() : " --vmail-user " + name) + "`");
    }
    std::cout << "Created the system user " << name << ", which the server runs as.\n";
  }
  const passwd* pw = getpwnam(name.c_str());
  if (!pw) return fail(ErrorKind::kNotFound, "there is no user " + name);
  VmailUser v{name, "", pw->pw_uid, pw->pw_gid};
  if (v.uid == 0 || v.gid == 0) {
    return fail(ErrorKind::kPermission, "--vmail-user " + name +
                                            " is root or in group root; the server must run "
                                            "as an unprivileged user");
  }
  const group* gr = getgrgid(v.gid);
  v.group = gr ? gr->gr_name : std::to_string(v.gid);
  return v;
}

// Gives a file or folder that init itself created to the vmail user. Never
// through a symbolic link: a link planted there would hand its target away.
Status hand_over(const fs::path& path, const VmailUser& to) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return ok();
    return fail(ErrorKind::kPermission,
                "cannot inspect " + path.string() + ": " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) {
    return fail(ErrorKind::kPermission,
                path.string() +
                    " is a symbolic link; init hands only real files and folders "
                    "to " +
                    to.user + ": replace it with a folder");
  }
  if (fchownat(AT_FDCWD, path.c_str(), to.uid, to.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return fail(ErrorKind::kPermission,
                "cannot give " + path.string() + " to " + to.user + ": " + std::strerror(errno));
  }
  return ok();
}

// The first folder on the way to `path` that `who` may not enter, if any.
std::optional<fs::path> first_unreachable(const fs::path& path, const VmailUser& who) {
  fs::path p = path.root_path();
  for (const fs::path& part : path.relative_path()) {
    p /= part;
    struct stat st {};
    if (stat(p.c_str(), &st) != 0) return p;
    mode_t bit = st.st_uid == who.uid ? S_IXUSR : st.st_gid == who.gid ? S_IXGRP : S_IXOTH;
    if ((st.st_mode & bit) == 0) return p;
  }
  return std::nullopt;
}

}  // namespace

int run_init(const std::string& dir_arg, const std::string& program, const std::string& vmail_user,
             const std::string& postmaster_address) {
  std::error_code ec;
  fs::path dir = fs::absolute(dir_arg, ec).lexically_normal();
  if (ec) return report(Error(ErrorKind::kInvalid, "bad --dir " + dir_arg));
  if (dir.has_relative_path() && !dir.has_filename()) dir = dir.parent_path();  // "DIR/"
  fs::path config_path = dir / "hostmail.toml";
  if (fs::exists(config_path)) {
    return report(Error(ErrorKind::kExists, config_path.string() +
                                                " already exists; edit it, or remove it to "
                                                "start afresh"));
  }
  if (!postmaster_address.empty()) {
    auto address = directory::normalize_address(postmaster_address);
    if (!address) return report(address.error().prefix("--postmaster-address"));
  }
  const bool root = geteuid() == 0;
  if (!root && !vmail_user.empty()) {
    return report(Error(ErrorKind::kPermission,
                        "--vmail-user needs root: without root, the server runs as you"));
  }
  // First, so that a user that cannot be created leaves nothing half done.
  std::optional<VmailUser> vmail;
  if (root) {
    auto v = ensure_vmail_user(vmail_user.empty() ? "vmail" : vmail_user, dir);
    if (!v) return report(v.error());
    vmail = std::move(*v);
  }
  const auto owner_only = fs::perms::owner_all;
  for (const auto& [sub, perms] : std::vector<std::pair<std::string, fs::perms>>{
           {"", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                    fs::perms::others_read | fs::perms::others_exec},
           {"vmail/domains", owner_only},
           {"state", owner_only},
           {"tls", owner_only}}) {
    Status s = make_dir(dir / sub, perms);
    if (!s) return report(s.error());
  }

  std::string text = vmail ? config::starter_config(dir.string(), true, vmail->user, vmail->group)
                           : config::starter_config(dir.string(), false);
  if (!postmaster_address.empty()) {
    // The starter file has this line commented out; load_file() below
    // checks the address.
    const std::string commented = "# postmaster_address = \"you@example.org\"";
    size_t at = text.find(commented);
    if (at != std::string::npos) {
      text.replace(at, commented.size(), "postmaster_address = \"" + postmaster_address + "\"");
    }
  }
  {
    std::ofstream out(config_path, std::ios::binary);
    out << text;
    if (!out.flush()) {
      return report(Error(ErrorKind::kPermission, "cannot write " + config_path.string()));
    }
  }
  // STARTTLS and the implicit-TLS ports work from the first start; a real
  // certificate replaces this one for production ([tls] cert, key).
  Status cert =
      net::write_self_signed_cert(config::default_hostname(), (dir / "tls" / "cert.pem").string(),
                                  (dir / "tls" / "key.pem").string());
  if (!cert && cert.error().kind() != ErrorKind::kExists) return report(cert.error());
  auto config = config::load_file(config_path.string());
  if (!config) return report(config.error().prefix("the starter configuration is broken (a bug)"));
  auto directory = directory::open_directory(*config, directory::OpenPurpose::kCreate);
  if (!directory) return report(directory.error());
  if (vmail) {
    // What the daemon writes after dropping root (serve checks the same):
    // the state folder with the queue and the database, and the Maildirs.
    // DIR, the configuration and tls/ stay root's: a daemon that could
    // rewrite the configuration root reads would be root at its next start.
    const std::string db = config->directory.sqlite.path;
    for (const fs::path& p :
         {dir / "state", dir / "vmail", dir / "vmail" / "domains", fs::path(db),
          fs::path(db + "-wal"), fs::path(db + "-shm"), fs::path(db + "-journal")}) {
      Status s = hand_over(p, *vmail);
      if (!s) return report(s.error());
    }
    if (auto blocked = first_unreachable(dir / "state", *vmail)) {
      std::cerr << "hostmail: warning: " << vmail->user << " cannot enter " << blocked->string()
                << ", so `serve` would refuse to start: run `chmod o+x " << blocked->string()
                << "`, or choose a --dir " << vmail->user
                << " can reach (such as /var/lib/hostmail)\n";
    }
  }

  std::string c = program + " --config " + config_path.string();
  std::cout << "Wrote " << config_path.string() << " and the data folders under " << dir.string()
            << ".\n\n"
            << "Add a domain and an account:\n"
            << "  " << c << " domain add example.org\n"
            << "  " << c << " account add you@example.org      (asks for the password)\n"
            << "  " << c << " postmaster grant example.org you@example.org\n\n"
            << "Start the server:\n"
            << "  " << c << " serve\n";
  if (vmail) {
    std::cout << "  (as root: it opens its ports and files, then runs as " << vmail->user << ":"
              << vmail->group << ", which owns " << (dir / "state").string() << " and "
              << (dir / "vmail").string() << ")\n";
  }
  if (config->server.postmaster_address.empty()) {
    std::cout << "\nMail for postmaster@ and abuse@ of your domains must reach a person: set\n"
              << "[server] postmaster_address in " << config_path.string()
              << " to your address\n(until then such mail is refused for now).\n";
  }
  std::cout << "\n"
            << "Point a mail client at:\n"
            << "  mail in   SMTP " << first_or(config->listen.smtp, "-")
            << " (STARTTLS) accepts mail for the hosted domains\n"
            << "  reading   IMAP " << first_or(config->listen.imap, "-")
            << " (STARTTLS; a password without TLS only from this machine) or IMAPS "
            << first_or(config->listen.imaps, "-") << " (TLS); POP3 "
            << first_or(config->listen.pop3, "-") << " comes with a later version\n"
            << "  login     the full address and its password\n";
  return 0;
}

int run_check_config(const std::string& explicit_path) {
  auto path = config::find_config_file(explicit_path);
  if (!path) return report(path.error());
  auto config = config::load_file(*path);
  if (!config) return report(config.error());

  std::vector<std::string> problems;
  std::vector<std::string> warnings;
  auto directory = directory::open_directory(*config);
  if (!directory) {
    problems.push_back("[directory]: " + directory.error().message());
  } else {
    // Every account is listed: a one-off command may take that time, and a
    // directory that cannot be listed is worth knowing about too.
    auto homes = directory::find_home_mismatches(**directory, config->storage.virtual_base);
    if (!homes) {
      warnings.push_back(
          "[directory]: could not compare the accounts' homeDirectory with "
          "[storage] virtual_base: " +
          homes.error().message());
    } else if (homes->count > 0) {
      warnings.push_back("[storage] virtual_base: " +
                         directory::describe(*homes, config->storage.virtual_base));
    }
  }

  std::error_code ec;
  const std::string& base = config->storage.virtual_base;
  if (!fs::is_directory(base, ec)) {
    problems.push_back("[storage] virtual_base: " + base + " does not exist; create it, owned by " +
                       config->storage.vmail_user);
  } else if (access(base.c_str(), W_OK) != 0) {
    problems.push_back("[storage] virtual_base: " + base + " is not writable by this user");
  }
  if (getpwnam(config->storage.vmail_user.c_str()) == nullptr) {
    problems.push_back("[storage] vmail_user: there is no user " + config->storage.vmail_user +
                       "; create it (adduser --system --group " + config->storage.vmail_user +
                       ") or name an existing one");
  }
  const std::string& hash = config->admin.superuser_password_hash;
  if (!hash.empty()) {
    auto usable = auth::verify_password(hash, "probe");
    if (!usable) {
      problems.push_back("[admin] superuser_password_hash: " + usable.error().message() +
                         "; make one with `hostmail passwd-hash`");
    }
  }
  const config::LdapConfig& ldap = config->directory.ldap;
  if (config->directory.backend == "ldap" && ldap.follow_changes == "on" && ldap.cache_ttl_s == 0) {
    warnings.push_back(
        "[directory.ldap] follow_changes = \"on\" does nothing with cache_ttl_s = 0: there is "
        "no cache to keep fresh");
  }
  // RFC 5321: postmaster mail must reach a person. Without a postmaster
  // address it goes wherever the aliases file sends the local name
  // "postmaster" (the seed's domains point there), or is refused for now.
  if (config->server.postmaster_address.empty()) {
    bool aliased = false;
    if (!config->local.aliases.empty()) {
      auto table = directory::load_system_aliases(config->local.aliases);
      if (!table) {
        problems.push_back("[local] aliases: " + table.error().message());
      } else {
        aliased = table->aliases.contains("postmaster");
      }
    }
    if (!aliased) {
      warnings.push_back(
          "mail for postmaster and abuse has nowhere to go: it is refused with 451 until "
          "[server] postmaster_address names the person who reads it (or the aliases file "
          "maps postmaster to one); see docs/operations.md");
    }
  }
  for (const std::string& w : warnings) std::cerr << *path << ": warning: " << w << "\n";
  if (problems.empty()) {
    std::cout << *path << ": configuration OK\n";
    return 0;
  }
  for (const std::string& p : problems) std::cerr << *path << ": " << p << "\n";
  return exit_status(ErrorKind::kInvalid);
}

}  // namespace hm::admin::cli
