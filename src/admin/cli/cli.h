#pragma once
// The `hostmail` command line: parses arguments, runs one command, returns
// the process exit status (0 success; otherwise sysexits-style codes listed
// in docs/operations.md, with one line on stderr saying what to do).

#include <functional>

#include "config/config.h"

namespace hm::admin::cli {

// `hostmail serve` is the daemon; the program's main supplies it so that the
// CLI library does not depend on the servers.
using ServeCommand = std::function<int(const config::Config&)>;

int run(int argc, char** argv, const ServeCommand& serve);

}  // namespace hm::admin::cli
