#pragma once
// `hostmail deliver --recipient ADDR [--sender ADDR]`: one message on stdin,
// delivered through the same resolver and DeliveryAgent as SMTP, so another
// MTA can use hostmail as its delivery agent. Exit statuses per sysexits:
// 0 delivered or queued, 67 unknown recipient, 65 bad address or message,
// 75 temporary failure (the calling MTA retries).

#include "admin/cli/cli.h"
#include "config/config.h"

namespace hm::app {

int deliver(const config::Config& config, const admin::cli::DeliverArguments& args);

}  // namespace hm::app
