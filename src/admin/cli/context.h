#pragma once
// What every administrative command needs: the configuration, the calling
// principal (the superuser, or --as NAME), and the administration service
// over the directory and the queue, which this context opens for it.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "admin/admin_service.h"
#include "admin/resources.h"
#include "base/result.h"
#include "config/config.h"
#include "directory/authenticator.h"
#include "directory/directory.h"
#include "queue/queue.h"

namespace hm::admin::cli {

struct GlobalOptions {
  std::string config_path;  // --config; empty: the discovery order of config.h
  std::string as;           // --as; empty: the superuser
  // --as-password-stdin: the first line of stdin is the --as principal's
  // password. The LDAP backend then binds as that principal for every write,
  // so that slapd's own access rules decide too; other backends ignore it.
  bool as_password_stdin = false;
};

// What a command works on. The directory of a directory command is opened
// at once, so that an error there comes before any password prompt; a
// queue command opens it only to read a --as principal's roles, so the
// superuser can see the queue while the directory is down.
enum class Uses { kDirectory, kQueue };

// The Resources of one command: each opened at first use, from the
// configuration, and kept open until the command ends.
class Context final : public Resources {
 public:
  static Result<std::unique_ptr<Context>> open(const GlobalOptions& options,
                                               Uses uses = Uses::kDirectory);

  const config::Config& config() const { return config_; }
  // The administration service, acting for the calling principal.
  AdminService admin();

  Result<directory::Directory*> directory() override;
  Result<queue::Queue*> queue() override;

 private:
  directory::AuthenticatorOptions authenticator_options() const;

  config::Config config_;
  std::unique_ptr<directory::Directory> directory_;
  std::optional<queue::Queue> queue_;
  Caller caller_;
};

// Opens a context for the command and runs `body` in it, reporting its
// error; returns the exit status.
int with_context(const GlobalOptions& global, const std::function<Status(Context&)>& body,
                 Uses uses = Uses::kDirectory);

// Loads the configuration named by the options (or found by discovery).
Result<config::Config> load_config(const GlobalOptions& options);

// The uid and gid that own virtual mail ([storage] vmail_user/vmail_group);
// the current ones when those do not exist (a personal test setup).
std::pair<uint32_t, uint32_t> vmail_ids(const config::Config& config);

}  // namespace hm::admin::cli
