#pragma once
// Exit statuses of the CLI, after sysexits.h, so scripts can tell a typo from
// an outage.

#include "base/error.h"

namespace hm::admin::cli {

inline constexpr int kExitUsage = 64;  // EX_USAGE: bad arguments

int exit_status(ErrorKind kind);
// Prints "hostmail: <message>" on stderr and returns exit_status(kind).
int report(const Error& error);

}  // namespace hm::admin::cli
