#pragma once
// `hostmail mailbox check ADDRESS [--json]`: per folder of the account's
// Maildir, the message count, UIDVALIDITY, UIDNEXT and where they come
// from (hostmail's list, dovecot-uidlist, courierimapuiddb, or new), so an
// administrator can verify a migration from Courier or Dovecot before
// switching the MX. It reads only (store/maildir/migration_check.h), as
// the virtual mail user, and may run while the old server serves the tree.

#include <CLI/CLI.hpp>
#include <functional>

#include "admin/cli/context.h"

namespace hm::admin::cli {

// Adds the `mailbox` subcommand to `app` (see queue_command.h for how the
// callbacks and `action` work).
void add_mailbox_commands(CLI::App& app, const GlobalOptions& global, std::function<int()>& action);

}  // namespace hm::admin::cli
