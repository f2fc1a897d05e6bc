#include "app/outbound.h"

#include "base/log.h"
#include "base/strings.h"
#include "relay/remote_transport.h"
#include "relay/router.h"

namespace hm::app {

Result<std::unique_ptr<dkim::KeyStore>> start_outbound(const config::Config& config,
                                                       delivery::DeliveryAgent& agent,
                                                       uid_t daemon_uid) {
  Result<relay::Router> router = relay::Router::create(config.transport, config.relay.relayhost);
  if (!router) return fail(router.error());
  dkim::KeyStoreOptions key_options;
  key_options.selector = config.dkim.selector;
  key_options.daemon_uid = daemon_uid;
  Result<dkim::KeyStore> keys = dkim::KeyStore::open(config::dkim_key_dir(config), key_options);
  if (!keys) return fail(keys.error());
  auto store = std::make_unique<dkim::KeyStore>(std::move(*keys));
  relay::RemoteOptions options;
  options.helo_name = config.server.hostname;
  options.dns_servers = config.relay.dns_servers;
  options.dns_timeout_ms = config.relay.dns_timeout_ms;
  options.dns_tries = config.relay.dns_tries;
  options.smtp_port = config.relay.smtp_port;
  // check() has vetted the levels: a bad one cannot reach here.
  options.tls = relay::parse_tls_level(config.relay.tls).value_or(relay::TlsLevel::kMay);
  for (const auto& [host, level] : config.relay.tls_policy) {
    options.tls_policy[ascii_lower(host)] =
        relay::parse_tls_level(level).value_or(relay::TlsLevel::kVerify);
  }
  options.tls_ca_file = config.relay.tls_ca_file;
  agent.set_transport(queue::Route::Kind::kRemote,
                      std::make_unique<relay::RemoteTransport>(std::move(*router),
                                                               std::move(options), store.get()));
  return store;
}

}  // namespace hm::app
