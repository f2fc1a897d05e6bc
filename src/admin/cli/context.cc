#include "admin/cli/context.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "admin/cli/exit_status.h"
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

Result<std::unique_ptr<Context>> Context::open(const GlobalOptions& options, Uses uses) {
  auto config = load_config(options);
  if (!config) return fail(std::move(config).error());

  std::unique_ptr<Context> ctx(new Context());
  ctx->config_ = std::move(*config);
  if (uses == Uses::kDirectory) HM_TRY(ctx->directory());
  if (options.as.empty()) {
    ctx->caller_ = Caller{directory::Principal::Kind::kSuperuser, ctx->config_.admin.superuser, {}};
  } else {
    // --as names who acts; its roles are not kept but read again by every
    // call of the service.
    auto dir = ctx->directory();
    if (!dir) return fail(std::move(dir).error());
    directory::Authenticator authenticator(**dir, ctx->authenticator_options());
    auto principal = authenticator.principal_for(options.as);
    if (!principal) return fail(std::move(principal).error().prefix("--as"));
    ctx->caller_ = Caller::of(*principal);
  }
  if (options.as_password_stdin) {
    if (options.as.empty()) {
      return fail(ErrorKind::kInvalid,
                  "--as-password-stdin needs --as NAME: whose password is it?");
    }
    auto password = read_password(PasswordSource::kStdin, "");
    if (!password) return fail(std::move(password).error().prefix("--as-password-stdin"));
    // LDAP writes bind as the --as principal with it; without it they bind
    // as the service, with the rights of whoever can run this command.
    ctx->caller_.bind_password = std::move(*password);
  }
  return ctx;
}

Result<directory::Directory*> Context::directory() {
  if (!directory_) {
    auto opened = directory::open_directory(config_);
    if (!opened) return fail(std::move(opened).error());
    directory_ = std::move(*opened);
  }
  return directory_.get();
}

Result<queue::Queue*> Context::queue() {
  if (!queue_) {
    auto opened = queue::Queue::open(config_.storage.state_dir);
    if (!opened) return fail(std::move(opened).error());
    queue_.emplace(std::move(*opened));
  }
  return &*queue_;
}

AdminService Context::admin() {
  AdminOptions o;
  o.virtual_base = config_.storage.virtual_base;
  o.password_scheme = config_.auth.password_scheme;
  auto [uid, gid] = vmail_ids(config_);
  o.vmail_uid = uid;
  o.vmail_gid = gid;
  return AdminService(*this, o, caller_);
}

int with_context(const GlobalOptions& global, const std::function<Status(Context&)>& body,
                 Uses uses) {
  auto ctx = Context::open(global, uses);
  if (!ctx) return report(ctx.error());
  Status s = body(**ctx);
  if (!s) return report(s.error());
  return 0;
}

}  // namespace hm::admin::cli
