#include "privsep/helper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "auth/pam_auth.h"
#include "base/log.h"
#include "privsep/protocol.h"

namespace hm::privsep {
namespace {

constexpr char kHelperName[] = "hostmail-helper";
constexpr int kRequiredSeals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;

Response handle(const Request& request, int message_fd, const HelperSettings& settings) {
  switch (request.type) {
    case RequestType::kDeliverLocal: {
      if (message_fd < 0) {
        return Response::failure(
            Error(ErrorKind::kInternal, "a local delivery request came without its message"));
      }
      int seals = ::fcntl(message_fd, F_GET_SEALS);
      if (seals < 0 || (seals & kRequiredSeals) != kRequiredSeals) {
        return Response::failure(Error(ErrorKind::kInternal,
                                       "a local delivery request's message is not a sealed memfd"));
      }
      auto user = lookup_local_user(request.user);
      if (!user) return Response::failure(user.error());
      LocalMessage message{message_fd, request.sender, request.recipient};
      auto delivered = deliver_to_local_user(*user, message, settings.delivery);
      if (!delivered) return Response::failure(delivered.error());
      return Response::success(*delivered);
    }
    case RequestType::kPamCheck: {
      auto checked = auth::pam_check_password(settings.pam_service, request.user, request.password);
      if (!checked) return Response::failure(checked.error());
      return Response::success(*checked ? "1" : "0");
    }
  }
  return Response::failure(Error(ErrorKind::kInternal, "unknown request"));
}

}  // namespace

int run_helper(int fd, const HelperSettings& settings) {
  std::string buffer(kMaxFrame + 1, '\0');
  for (;;) {
    iovec iov{buffer.data(), buffer.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      log::error("privsep helper: cannot read a request: {}", strerror(errno));
      return 1;
    }
    if (n == 0) return 0;  // the daemon is gone
    std::vector<int> fds;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
          int passed;
          memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
          fds.push_back(passed);
        }
      }
    }
    Response response;
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
      response = Response::failure(Error(ErrorKind::kInvalid, "privsep request too large"));
    } else {
      auto request = decode_request(std::string_view(buffer.data(), static_cast<size_t>(n)));
      if (!request) {
        response = Response::failure(request.error());
      } else if (fds.size() > 1) {
        response = Response::failure(Error(ErrorKind::kInvalid, "too many descriptors passed"));
      } else {
        response = handle(*request, fds.empty() ? -1 : fds[0], settings);
        if (!response.ok) {
          log::debug("privsep helper: {} for {}: {}",
                     request->type == RequestType::kPamCheck ? "pam check" : "local delivery",
                     request->user, response.message);
        }
      }
    }
    for (int passed : fds) ::close(passed);
    std::string reply = encode_response(response);
    while (::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL) < 0) {
      if (errno == EINTR) continue;
      return errno == EPIPE ? 0 : 1;
    }
  }
}

Result<HelperProcess> start_helper(const HelperSettings& settings) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return fail(ErrorKind::kInternal, "cannot create the privsep socket", strerror(errno));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(pair[0]);
    ::close(pair[1]);
    return fail(ErrorKind::kInternal, "cannot fork the privileged helper", strerror(err));
  }
  if (pid == 0) {
    ::close(pair[0]);
    // Nothing of the daemon but its log stays open here.
    ::close_range(3, static_cast<unsigned>(pair[1]) - 1, 0);
    ::close_range(static_cast<unsigned>(pair[1]) + 1, ~0U, 0);
    // Stop signals are for the daemon: the helper ends when its socket
    // closes, after the request in progress.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    ::sigprocmask(SIG_BLOCK, &stop, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    // The kernel keeps at most 15 characters of a process name: this one
    // fits, so `ps` shows it whole (docs/operations.md names it).
    static_assert(sizeof kHelperName - 1 <= 15);
    ::prctl(PR_SET_NAME, kHelperName);
    ::_exit(run_helper(pair[1], settings));
  }
  ::close(pair[1]);
  return HelperProcess{pid, pair[0]};
}

}  // namespace hm::privsep
