#pragma once
// `hostmail dkim keygen DOMAIN [--selector S] [--type rsa|ed25519] [--force]`
// `hostmail dkim show DOMAIN [--selector S]` and `hostmail dkim sign DOMAIN
// [--selector S] < message`: the DKIM keys of hosted domains (src/dkim),
// kept in [dkim] key_dir as <domain>/<selector>.key. keygen makes a key and
// prints the DNS TXT record to publish; show prints the records of a
// domain's keys again. Both print the record alone on stdout (one line per
// key), so a script can take it as it is. sign signs a message with the key
// the relay would choose (KeyStore, Signer), so that a published record can
// be checked before mail depends on it (docs/operations.md), and so that
// the tests can give the signatures to other verifiers.
//
// The keys are files of root (or of hostmail's user) that only their owner
// may read: these commands act on files, not on the directory, so there is
// no postmaster's version of them, and --as is refused.

#include <CLI/CLI.hpp>
#include <functional>

#include "admin/cli/context.h"

namespace hm::admin::cli {

// Adds the `dkim` subcommand to `app`, as add_queue_commands does.
void add_dkim_commands(CLI::App& app, const GlobalOptions& global, std::function<int()>& action);

}  // namespace hm::admin::cli
