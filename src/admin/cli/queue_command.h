#pragma once
// `hostmail queue list [--json] | retry [ID] | delete ID`: the durable queue
// (src/queue) seen from the command line, through AdminService, which shows
// a --as postmaster only the mail of their domains. The queue lives under
// [storage] state_dir and may be changed by the running daemon at the same
// time; the queue's own entry locks make that safe.

#include <CLI/CLI.hpp>
#include <functional>

#include "admin/cli/context.h"

namespace hm::admin::cli {

// Adds the `queue` subcommand to `app`. When one of its commands is chosen,
// its callback stores in `action` the function that runs it (returning the
// exit status), like every other command of cli.cc. `global` and `action`
// must outlive the parse and the action.
void add_queue_commands(CLI::App& app, const GlobalOptions& global, std::function<int()>& action);

}  // namespace hm::admin::cli
