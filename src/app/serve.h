#pragma once
// `hostmail serve`: the daemon.

#include "config/config.h"

namespace hm::app {

// Runs until SIGTERM or SIGINT; returns the exit status.
int serve(const config::Config& config);

}  // namespace hm::app
