#pragma once
// Builds the long-lived parts of the mail system from the configuration:
// directory, resolver, queue, delivery agent. Shared by `serve` and
// `deliver`, so both take the same path for a message.

#include <memory>

#include "base/result.h"
#include "config/config.h"
#include "delivery/delivery_agent.h"
#include "delivery/local_delivery.h"
#include "directory/directory.h"
#include "directory/directory_factory.h"
#include "directory/resolver.h"
#include "privsep/helper.h"
#include "privsep/local_user.h"
#include "privsep/privsep_client.h"
#include "queue/queue.h"

namespace hm::app {

struct MailSystem {
  std::unique_ptr<directory::Directory> directory;
  std::unique_ptr<directory::Resolver> resolver;
  std::unique_ptr<queue::Queue> queue;
  std::unique_ptr<delivery::DeliveryAgent> agent;
};

// Reads [local] aliases too: kPermission when that file cannot be read; its
// entries that cannot be followed are logged as warnings.
Result<directory::ResolverOptions> resolver_options(const config::Config& config);
// [local] and [server] settings for delivery to local accounts.
privsep::LocalDeliverySettings local_delivery_settings(const config::Config& config);
// The privileged helper for local accounts, started as root while the
// process still has one thread: its pid (to reap) and the client that
// talks to it. The client waits a little longer than [local]
// delivery_timeout_s, after which the helper stops a delivery and answers.
struct LocalHelper {
  pid_t pid = -1;
  std::unique_ptr<privsep::PrivsepClient> client;
};
Result<LocalHelper> start_local_helper(const config::Config& config);

// `local` takes local (shell account) destinations; null: they are queued
// as deferred (local delivery unavailable). `purpose` kServe for the daemon.
Result<MailSystem> build_mail_system(const config::Config& config,
                                     std::unique_ptr<delivery::LocalDelivery> local = nullptr,
                                     directory::OpenPurpose purpose = directory::OpenPurpose::kUse);

}  // namespace hm::app
