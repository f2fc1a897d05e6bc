#include "admin/cli/context.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "admin/cli/password_input.h"
#include "auth/pam_auth.h"
#include "directory/directory_factory.h"

namespace hm::admin::cli {

Result<config::Config> load_config(const GlobalOptions& options) {
  auto path = config::find_config_file(options.config_path);
  if (!path) return fail(std::move(path).error());
  return config::load_file(*path);
}

std::pair<uint32_t, uint32_t> vmail_ids(const config::Config& config) {
  uint32_t uid = getuid();
  uint32_t gid = getgid();
  if (const passwd* pw = getpwnam(config.storage.vmail_user.c_str())) uid = pw->pw_uid;
  if (const group* gr = getgrnam(config.storage.vmail_group.c_str())) gid = gr->gr_gid;
  return {uid, gid};
}

directory::AuthenticatorOptions Context::authenticator_options() const {
  directory::AuthenticatorOptions o;
  o.superuser = config_.admin.superuser;
  o.superuser_password_hash = config_.admin.superuser_password_hash;
  o.local_enabled = config_.local.enabled;
  std::string service = config_.local.pam_service;
  o.local_check = [service](std::string_view user, std::string_view password) {
    return auth::pam_check_password(service, user, password);
  };
  return o;
}

Result<std::unique_ptr<Context>> Context::open(const GlobalOptions& options) {
  auto config = load_config(options);
  if (!config) return fail(std::move(config).error());
  auto directory = directory::open_directory(*config);
  if (!directory) return fail(std::move(directory).error());

  std::unique_ptr<Context> ctx(new Context());
  ctx->config_ = std::move(*config);
  ctx->directory_ = std::move(*directory);
  directory::Authenticator authenticator(*ctx->directory_, ctx->authenticator_options());
  auto principal =
      authenticator.principal_for(options.as.empty() ? ctx->config_.admin.superuser : options.as);
  if (!principal) return fail(std::move(principal).error().prefix("--as"));
  ctx->principal_ = std::move(*principal);
  if (options.as_password_stdin) {
    if (options.as.empty()) {
      return fail(ErrorKind::kInvalid,
                  "--as-password-stdin needs --as NAME: whose password is it?");
    }
    auto password = read_password(PasswordSource::kStdin, "");
    if (!password) return fail(std::move(password).error().prefix("--as-password-stdin"));
    ctx->actor_password_ = std::move(*password);
  }
  return ctx;
}

directory::AdminService Context::admin() const {
  directory::AdminOptions o;
  o.virtual_base = config_.storage.virtual_base;
  o.password_scheme = config_.auth.password_scheme;
  auto [uid, gid] = vmail_ids(config_);
  o.vmail_uid = uid;
  o.vmail_gid = gid;
  // The CLI acts with the rights of the person running it on the database;
  // LDAP writes bind as the service unless --as-password-stdin gave the --as
  // principal's password, in which case they bind as that principal.
  return directory::AdminService(*directory_, o, principal_,
                                 directory::Actor{principal_.name, actor_password_});
}

}  // namespace hm::admin::cli
