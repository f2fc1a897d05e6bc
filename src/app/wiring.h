#pragma once
// Builds the long-lived parts of the mail system from the configuration:
// directory, resolver, queue, delivery agent. Shared by `serve` and
// `deliver`, so both take the same path for a message.

#include <memory>

#include "base/result.h"
#include "config/config.h"
#include "delivery/delivery_agent.h"
#include "directory/directory.h"
#include "directory/resolver.h"
#include "queue/queue.h"

namespace hm::app {

struct MailSystem {
  std::unique_ptr<directory::Directory> directory;
  std::unique_ptr<directory::Resolver> resolver;
  std::unique_ptr<queue::Queue> queue;
  std::unique_ptr<delivery::DeliveryAgent> agent;
};

directory::ResolverOptions resolver_options(const config::Config& config);
Result<MailSystem> build_mail_system(const config::Config& config);

}  // namespace hm::app
