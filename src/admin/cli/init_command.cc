#include "admin/cli/init_command.h"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>

#include "admin/cli/exit_status.h"
#include "auth/password_scheme.h"
#include "config/config.h"
#include "directory/directory_factory.h"
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

}  // namespace

int run_init(const std::string& dir_arg, const std::string& program) {
  std::error_code ec;
  fs::path dir = fs::absolute(dir_arg, ec).lexically_normal();
  if (ec) return report(Error(ErrorKind::kInvalid, "bad --dir " + dir_arg));
  fs::path config_path = dir / "hostmail.toml";
  if (fs::exists(config_path)) {
    return report(Error(ErrorKind::kExists, config_path.string() +
                                                " already exists; edit it, or remove it to "
                                                "start afresh"));
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

  std::string text = config::starter_config(dir.string(), geteuid() == 0);
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

  std::string c = program + " --config " + config_path.string();
  std::cout << "Wrote " << config_path.string() << " and the data folders under " << dir.string()
            << ".\n\n"
            << "Add a domain and an account:\n"
            << "  " << c << " domain add example.org\n"
            << "  " << c << " account add you@example.org      (asks for the password)\n"
            << "  " << c << " postmaster grant example.org you@example.org\n\n"
            << "Start the server:\n"
            << "  " << c << " serve\n\n"
            << "Point a mail client at:\n"
            << "  mail in   SMTP " << first_or(config->listen.smtp, "-")
            << " (STARTTLS) accepts mail for the hosted domains\n"
            << "  reading   IMAP " << first_or(config->listen.imap, "-") << " and POP3 "
            << first_or(config->listen.pop3, "-")
            << " come with a later version; until then mail is in the Maildirs under "
            << config->storage.virtual_base << "\n"
            << "  login     the full address and its password\n";
  return 0;
}

int run_check_config(const std::string& explicit_path) {
  auto path = config::find_config_file(explicit_path);
  if (!path) return report(path.error());
  auto config = config::load_file(*path);
  if (!config) return report(config.error());

  std::vector<std::string> problems;
  auto directory = directory::open_directory(*config);
  if (!directory) problems.push_back("[directory]: " + directory.error().message());

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
  if (problems.empty()) {
    std::cout << *path << ": configuration OK\n";
    return 0;
  }
  for (const std::string& p : problems) std::cerr << *path << ": " << p << "\n";
  return exit_status(ErrorKind::kInvalid);
}

}  // namespace hm::admin::cli
