#pragma once
// The privileged helper of `hostmail serve`: the only part of hostmail that
// keeps root after start-up, and does only two things on request from the
// daemon: deliver a message to a local account (as that account, see
// local_user.h) and check a local account's password with PAM. Everything
// that speaks a protocol runs in the daemon, as the vmail user.
//
// It is forked before the daemon drops its privileges and before any thread
// exists, and reads requests from a SOCK_SEQPACKET socketpair (protocol.h).
// Each request is served in a child of its own, which answers on the
// request's own socket: requests run side by side, and one slow mailbox
// command delays no other delivery. At most kMaxHelperChildren run at once
// (more wait in the socket), each for at most the delivery time limit plus
// kHelperGrace. It trusts nothing in a request: names are looked up again,
// uid 0 is refused, the message must come as a sealed memfd. It ends when
// the daemon's end of the socket closes (the daemon exited or was killed),
// after the requests in progress, so it never outlives the daemon for long.

#include <sys/types.h>

#include <chrono>
#include <string>

#include "base/result.h"
#include "privsep/local_user.h"

namespace hm::privsep {

inline constexpr size_t kMaxHelperChildren = 64;
// Beyond the delivery time limit: for a child to stop its user's process and
// answer, and for the client to hear that answer.
inline constexpr std::chrono::seconds kHelperGrace{10};

struct HelperSettings {
  LocalDeliverySettings delivery;
  std::string pam_service = "hostmail";
};

struct HelperProcess {
  pid_t pid = -1;
  int fd = -1;  // the daemon's end of the socketpair (close-on-exec); the caller owns it
};

// Forks the helper. Call while the process is single-threaded. The helper
// child keeps only its socket and stdin/stdout/stderr (for the log).
Result<HelperProcess> start_helper(const HelperSettings& settings);

// The helper's loop, run in the child by start_helper (and by tests on a
// socketpair of their own): serves requests on `fd` until the peer closes
// it. Returns the process exit status to use.
int run_helper(int fd, const HelperSettings& settings);

}  // namespace hm::privsep
