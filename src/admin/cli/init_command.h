#pragma once
// `hostmail init` and `hostmail check-config`.

#include <string>

namespace hm::admin::cli {

// Writes DIR/hostmail.toml (never over an existing one), the data folders and
// the embedded directory database, then says what to do next.
// `program` is how the user invoked hostmail, for the commands it suggests.
// Run as root, it also makes the next `serve` able to start: the system user
// `vmail_user` (empty: "vmail") is created when missing, and given the
// folders the daemon writes (DIR/state, DIR/vmail); when the user cannot be
// created, nothing is written and the commands to run are printed. Not root:
// the files belong to the current user, and `vmail_user` must be empty.
int run_init(const std::string& dir, const std::string& program, const std::string& vmail_user,
             const std::string& postmaster_address);

// Loads the configuration and checks what can only be checked on this
// machine: the directory opens, the Maildir base is writable, the vmail user
// exists, the superuser hash is usable. Prints every problem, one a line.
int run_check_config(const std::string& explicit_path);

}  // namespace hm::admin::cli
