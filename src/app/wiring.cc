#include "app/wiring.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "base/log.h"
#include "directory/directory_factory.h"
#include "directory/system_aliases.h"

namespace hm::app {

Result<directory::ResolverOptions> resolver_options(const config::Config& config) {
  directory::ResolverOptions o;
  if (!config.local.aliases.empty()) {
    auto parsed = directory::load_system_aliases(config.local.aliases);
    if (!parsed) return fail(std::move(parsed).error().prefix("[local] aliases"));
    for (const std::string& why : parsed->skipped) {
      log::warning("{}: {}", config.local.aliases, why);
    }
    o.system_aliases = std::move(parsed->aliases);
  }
  o.first_valid_uid = config.local.first_valid_uid;
  o.postmaster_address = config.server.postmaster_address;
  o.recipient_delimiter = config.addressing.recipient_delimiter;
  o.max_depth = config.limits.alias_depth;
  o.max_destinations = config.limits.recipients;
  o.local_enabled = config.local.enabled;
  o.local_domains = {config.server.hostname, "localhost"};
  return o;
}

privsep::LocalDeliverySettings local_delivery_settings(const config::Config& config) {
  privsep::LocalDeliverySettings s;
  s.hostname = config.server.hostname;
  s.mailbox_command = config.local.mailbox_command;
  s.command_timeout = std::chrono::seconds(config.local.delivery_timeout_s);
  s.first_valid_uid = config.local.first_valid_uid;
  return s;
}

Result<LocalHelper> start_local_helper(const config::Config& config) {
  privsep::HelperSettings hs;
  hs.delivery = local_delivery_settings(config);
  hs.pam_service = config.local.pam_service;
  auto helper = privsep::start_helper(hs);
  if (!helper) return fail(std::move(helper).error());
  LocalHelper out;
  out.pid = helper->pid;
  out.client = std::make_unique<privsep::PrivsepClient>(
      helper->fd, hs.delivery.command_timeout + 2 * privsep::kHelperGrace);
  return out;
}

Result<MailSystem> build_mail_system(const config::Config& config,
                                     std::unique_ptr<delivery::LocalDelivery> local,
                                     directory::OpenPurpose purpose) {
  MailSystem m;
  auto directory = directory::open_directory(config, purpose);
  if (!directory) return fail(std::move(directory).error());
  m.directory = std::move(*directory);
  auto options = resolver_options(config);
  if (!options) return fail(std::move(options).error());
  m.resolver = std::make_unique<directory::Resolver>(*m.directory, std::move(*options));
  auto queue = queue::Queue::open(config.storage.state_dir);
  if (!queue) return fail(std::move(queue).error());
  m.queue = std::make_unique<queue::Queue>(std::move(*queue));

  delivery::DeliveryOptions d;
  d.virtual_base = config.storage.virtual_base;
  d.hostname = config.server.hostname;
  d.local_enabled = config.local.enabled;
  if (geteuid() == 0) {
    // Virtual mail belongs to the vmail user, whoever writes it.
    if (const passwd* pw = getpwnam(config.storage.vmail_user.c_str())) d.vmail_uid = pw->pw_uid;
    if (const group* gr = getgrnam(config.storage.vmail_group.c_str())) d.vmail_gid = gr->gr_gid;
  }
  if (!local) {
    local = std::make_unique<delivery::UnavailableLocalDelivery>(
        config.local.enabled
            ? "local delivery is not available in this process"
            : "delivery to local accounts is turned off ([local] enabled = false)");
  }
  // Bounces go to the original sender the way any RCPT is resolved. The
  // resolver outlives the agent (MailSystem destroys members in reverse).
  delivery::SenderResolver resolve_sender = [resolver = m.resolver.get()](std::string_view a) {
    return resolver->resolve(a);
  };
  m.agent = std::make_unique<delivery::DeliveryAgent>(d, *m.queue, std::move(local),
                                                      std::move(resolve_sender));
  return m;
}

}  // namespace hm::app
