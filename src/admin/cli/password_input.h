#pragma once
// Passwords for the CLI never come from argv (where `ps` and shell history
// would show them): either one line on standard input (--password-stdin), or
// a prompt on the terminal with echo off, asked twice.

#include <string>
#include <string_view>

#include "base/result.h"

namespace hm::admin::cli {

enum class PasswordSource { kStdin, kTerminal };

// kTerminal when no terminal is attached: kInvalid saying to use --password-stdin.
Result<std::string> read_password(PasswordSource source, std::string_view prompt);

// True if standard input is a terminal.
bool stdin_is_terminal();

}  // namespace hm::admin::cli
