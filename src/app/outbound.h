#pragma once
// The outbound relay in the daemon: the `remote` transport of the queue
// (relay/remote_transport.h) built from [relay], [transport], [server]
// hostname and [dkim], and registered with the delivery agent. Called by
// `serve` while still root: the DKIM keys are root's 0600 files.

#include <memory>

#include "base/result.h"
#include "config/config.h"
#include "delivery/delivery_agent.h"
#include "dkim/key_store.h"

namespace hm::app {

// Registers the remote transport with `agent`; returns the DKIM key store
// it signs with, which must outlive the agent's queue runs.
// `daemon_uid`: the user the daemon runs as (may own key files), or -1.
// kInvalid for a bad [transport] or relayhost (check-config says so too),
// the key store's own errors (kPermission...) for unusable keys.
Result<std::unique_ptr<dkim::KeyStore>> start_outbound(const config::Config& config,
                                                       delivery::DeliveryAgent& agent,
                                                       uid_t daemon_uid);

}  // namespace hm::app
