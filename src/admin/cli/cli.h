#pragma once
// The `hostmail` command line: parses arguments, runs one command, returns
// the process exit status (0 success; otherwise sysexits-style codes listed
// in docs/operations.md, with one line on stderr saying what to do).

#include <functional>
#include <string>

#include "config/config.h"

namespace hm::admin::cli {

struct DeliverArguments {
  std::string recipient;
  std::string sender;
};

// Commands that need the mail system (servers, delivery): the program's main
// supplies them, so that the CLI library does not depend on the servers.
struct MailCommands {
  std::function<int(const config::Config&)> serve;
  std::function<int(const config::Config&, const DeliverArguments&)> deliver;
};

int run(int argc, char** argv, const MailCommands& commands);

}  // namespace hm::admin::cli
