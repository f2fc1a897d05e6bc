#pragma once
// PrivsepClient: the daemon's side of the privileged helper (helper.h).
//
// Each call sends one request and waits for its answer, which comes on a
// socketpair made for that request alone (protocol.h), so calls from
// several threads run side by side in the helper. The message of a local
// delivery goes in a memfd sealed against writes, shrinking and growing
// (F_SEAL_*), passed with SCM_RIGHTS beside the request frame: no size limit
// on the socket, no copy through it, and the helper can rely on the bytes not
// changing while the user's process reads them.
//
// Bounds: at most `max_in_flight` local deliveries (and as many PAM checks)
// at once; one more fails at once with kTemporary, so that the message waits
// in the queue and the delivery threads stay free for virtual mail. A call
// waits at most `answer_timeout` for its answer (the helper's own limit plus
// a margin), then fails with kTemporary.
//
// Thread-safe. Blocking: call it from a worker pool, never from an event
// loop.
//
// Failure: if the helper is gone (its socket closed), every call from then
// on fails with kTemporary (mail stays queued) and the log says to restart
// hostmail.

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "base/result.h"
#include "privsep/protocol.h"

namespace hm::privsep {

class PrivsepClient {
 public:
  // Takes ownership of `fd`, the daemon's end of the helper's socketpair.
  static constexpr unsigned kDefaultMaxInFlight = 8;  // half of the 16 delivery threads
  explicit PrivsepClient(int fd, std::chrono::seconds answer_timeout,
                         unsigned max_in_flight = kDefaultMaxInFlight);
  ~PrivsepClient();
  PrivsepClient(const PrivsepClient&) = delete;
  PrivsepClient& operator=(const PrivsepClient&) = delete;

  // Delivers `message` (the final copy: delivery headers, LF line ends) to
  // the local account `user`. Ok: what the helper delivered to (a Maildir
  // file name, or the mailbox command). Errors as deliver_to_local_user:
  // kTemporary to retry; kNotFound, kPermission, kInvalid are permanent.
  Result<std::string> deliver_local(std::string_view user, std::string_view sender,
                                    std::string_view recipient, std::string_view message);

  // PAM check of a local account's password (auth::pam_check_password in
  // the helper, with [local] pam_service).
  Result<bool> pam_check(std::string_view user, std::string_view password);

 private:
  Result<Response> call(const Request& request, int pass_fd);

  int fd_;
  std::chrono::seconds timeout_;
  unsigned max_in_flight_;
  std::atomic<unsigned> deliveries_{0};  // local deliveries in flight
  std::atomic<unsigned> pam_checks_{0};  // PAM checks in flight
  std::atomic<bool> broken_{false};      // the helper is gone
};

// A sealed memfd holding `data` (see above). kTemporary on failure.
Result<int> make_sealed_memfd(std::string_view data);

}  // namespace hm::privsep
