#pragma once
// PrivsepClient: the daemon's side of the privileged helper (helper.h).
//
// Each call sends one request and waits for its answer. The message of a
// local delivery goes in a memfd sealed against writes, shrinking and
// growing (F_SEAL_*), passed with SCM_RIGHTS beside the request frame: no
// size limit on the socket, no copy through it, and the helper can rely on
// the bytes not changing while the user's process reads them.
//
// Thread-safe: calls from several threads (the delivery pool) are served one
// after another, since the helper handles one request at a time. Blocking:
// call it from a worker pool, never from an event loop.
//
// Failure: if the helper does not answer within `timeout` or is gone, every
// call from then on fails with kTemporary (mail stays queued) and the log
// says to restart hostmail; requests and answers could no longer be paired.

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "privsep/protocol.h"

namespace hm::privsep {

class PrivsepClient {
 public:
  // Takes ownership of `fd`, the daemon's end of the helper's socketpair.
  explicit PrivsepClient(int fd, std::chrono::seconds timeout = std::chrono::seconds(1100));
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

  std::mutex mutex_;
  int fd_;
  std::chrono::seconds timeout_;
  bool broken_ = false;  // guarded by mutex_
};

// A sealed memfd holding `data` (see above). kTemporary on failure.
Result<int> make_sealed_memfd(std::string_view data);

}  // namespace hm::privsep
