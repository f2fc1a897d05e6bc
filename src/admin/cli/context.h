#pragma once
// What every administrative command needs: the configuration, the open
// directory, and the acting principal (the superuser, or --as NAME).

#include <memory>
#include <string>

#include "base/result.h"
#include "config/config.h"
#include "directory/admin_service.h"
#include "directory/authenticator.h"
#include "directory/directory.h"

namespace hm::admin::cli {

struct GlobalOptions {
  std::string config_path;  // --config; empty: the discovery order of config.h
  std::string as;           // --as; empty: the superuser
  // --as-password-stdin: the first line of stdin is the --as principal's
  // password. The LDAP backend then binds as that principal for every write,
  // so that slapd's own access rules decide too; other backends ignore it.
  bool as_password_stdin = false;
};

class Context {
 public:
  static Result<std::unique_ptr<Context>> open(const GlobalOptions& options);

  const config::Config& config() const { return config_; }
  directory::Directory& directory() { return *directory_; }
  directory::AdminService admin() const;
  directory::AuthenticatorOptions authenticator_options() const;

 private:
  config::Config config_;
  std::unique_ptr<directory::Directory> directory_;
  directory::Principal principal_;
  std::string actor_password_;  // from --as-password-stdin; empty: write as the service
};

// Loads the configuration named by the options (or found by discovery).
Result<config::Config> load_config(const GlobalOptions& options);

// The uid and gid that own virtual mail ([storage] vmail_user/vmail_group);
// the current ones when those do not exist (a personal test setup).
std::pair<uint32_t, uint32_t> vmail_ids(const config::Config& config);

}  // namespace hm::admin::cli
