#include "privsep/helper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "auth/pam_auth.h"
#include "base/log.h"
#include "privsep/protocol.h"

namespace hm::privsep {
namespace {

constexpr char kHelperName[] = "hostmail-helper";
constexpr int kRequiredSeals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
constexpr std::chrono::seconds kPamFailureDelay{2};

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
      // The daemon refuses system accounts and throttles guessing itself;
      // this holds even when a compromised daemon asks: no system account's
      // password is ever checked, and every refusal costs its child
      // kPamFailureDelay (each request has a child of its own, so nothing
      // else waits for it).
      auto user = lookup_local_user(request.user);
      if (!user || user->uid < settings.delivery.first_valid_uid) {
        std::this_thread::sleep_for(kPamFailureDelay);
        return Response::success("0");
      }
      auto checked = auth::pam_check_password(settings.pam_service, request.user, request.password);
      if (!checked) return Response::failure(checked.error());
      if (!*checked) std::this_thread::sleep_for(kPamFailureDelay);
      return Response::success(*checked ? "1" : "0");
    }
  }
  return Response::failure(Error(ErrorKind::kInternal, "unknown request"));
}

// The answer socket of a request: a SOCK_SEQPACKET Unix socket (protocol.h).
bool is_answer_socket(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  int value = 0;
  socklen_t length = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &value, &length) != 0 || value != AF_UNIX) {
    return false;
  }
  length = sizeof value;
  return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &length) == 0 && value == SOCK_SEQPACKET;
}

// One record on a fresh socket of the request's own: never blocks. A peer
// that gave up waiting (EPIPE) is no concern of ours.
void answer(int fd, const Response& response) {
  std::string reply = encode_response(response);
  while (::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
         errno == EINTR) {
  }
}

std::string_view request_name(RequestType type) {
  return type == RequestType::kPamCheck ? "pam check" : "local delivery";
}

}  // namespace

int run_helper(int fd, const HelperSettings& settings) {
  // Each request runs in a child of its own, so that a slow mailbox command
  // holds up no other request. A child's life is bounded: the delivery stops
  // its user's process at the time limit, and an alarm ends the child itself
  // a little later whatever it was doing (a PAM module that hangs, say).
  const auto child_limit = settings.delivery.command_timeout + kHelperGrace;
  size_t children = 0;
  auto reap = [&](bool wait_for_one) {
    for (;;) {
      pid_t pid = ::waitpid(-1, nullptr, wait_for_one ? 0 : WNOHANG);
      if (pid > 0) {
        --children;
        wait_for_one = false;
        continue;
      }
      if (pid < 0 && errno == EINTR) continue;
      return;
    }
  };
  std::string buffer(kMaxFrame + 1, '\0');
  for (;;) {
    reap(false);
    while (children >= kMaxHelperChildren) reap(true);
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, 1000);  // wakes every second to reap children
    if (ready < 0 && errno != EINTR) {
      log::error("privsep helper: cannot wait for requests: {}", strerror(errno));
      return 1;
    }
    if (ready <= 0) continue;
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
    if (n == 0) {
      // The daemon is gone: let the requests in progress finish.
      while (children > 0) reap(true);
      return 0;
    }
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
    auto close_passed = [&] {
      for (int passed : fds) ::close(passed);
    };
    if (fds.empty() || !is_answer_socket(fds[0])) {
      // Nowhere to answer: the daemon never sends such a request.
      log::warning("privsep helper: ignoring a request without its answer socket");
      close_passed();
      continue;
    }
    const int reply_fd = fds[0];
    std::optional<Request> request;
    Response refusal;
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
      refusal = Response::failure(Error(ErrorKind::kInvalid, "privsep request too large"));
    } else if (auto decoded = decode_request(std::string_view(buffer.data(), size_t(n)));
               !decoded) {
      refusal = Response::failure(decoded.error());
    } else if (fds.size() != descriptors_for(decoded->type)) {
      refusal = Response::failure(Error(
          ErrorKind::kInvalid,
          fmt::format("a {} request must pass {} descriptors, not {}", request_name(decoded->type),
                      descriptors_for(decoded->type), fds.size())));
    } else {
      request = std::move(*decoded);
    }
    if (!request) {
      log::warning("privsep helper: refused a request: {}", refusal.message);
      answer(reply_fd, refusal);
      close_passed();
      continue;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
      answer(reply_fd,
             Response::failure(Error(ErrorKind::kTemporary, "the privileged helper cannot fork",
                                     strerror(errno))));
      close_passed();
      continue;
    }
    if (pid == 0) {
      ::close(fd);  // the daemon's requests are the parent's business
      ::alarm(static_cast<unsigned>(child_limit.count()));
      Response response = handle(*request, fds.size() > 1 ? fds[1] : -1, settings);
      if (!response.ok) {
        log::debug("privsep helper: {} for {}: {}", request_name(request->type), request->user,
                   response.message);
      }
      answer(reply_fd, response);
      ::_exit(0);
    }
    ++children;
    close_passed();
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
