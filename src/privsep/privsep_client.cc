#include "privsep/privsep_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/log.h"

namespace hm::privsep {
namespace {

constexpr std::string_view kRestart = "restart hostmail to start a new privileged helper";

}  // namespace

Result<int> make_sealed_memfd(std::string_view data) {
  int fd = ::memfd_create("hostmail-message", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    return fail(ErrorKind::kTemporary, "cannot create a memory file for the message",
                strerror(errno));
  }
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return fail(ErrorKind::kTemporary, "cannot write the message to a memory file",
                  strerror(err));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0 ||
      ::lseek(fd, 0, SEEK_SET) != 0) {
    int err = errno;
    ::close(fd);
    return fail(ErrorKind::kTemporary, "cannot seal the message's memory file", strerror(err));
  }
  return fd;
}

PrivsepClient::PrivsepClient(int fd, std::chrono::seconds timeout) : fd_(fd), timeout_(timeout) {}

PrivsepClient::~PrivsepClient() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Response> PrivsepClient::call(const Request& request, int pass_fd) {
  std::lock_guard lock(mutex_);
  if (broken_) {
    return fail(ErrorKind::kTemporary, "the privileged helper is not available",
                std::string(kRestart));
  }
  auto lost = [&](std::string what) -> tl::unexpected<Error> {
    broken_ = true;
    log::error("privileged helper: {}; {}", what, kRestart);
    return fail(ErrorKind::kTemporary, "the privileged helper is not available", what);
  };

  std::string frame = encode_request(request);
  iovec iov{frame.data(), frame.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (pass_fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  while (::sendmsg(fd_, &msg, MSG_NOSIGNAL) < 0) {
    if (errno == EINTR) continue;
    return lost(fmt::format("cannot send a request: {}", strerror(errno)));
  }

  auto deadline = std::chrono::steady_clock::now() + timeout_;
  std::string buffer(kMaxFrame + 1, '\0');
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return lost(fmt::format("no answer within {} s", timeout_.count()));
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 60000)));
    if (r < 0 && errno != EINTR) return lost(fmt::format("poll: {}", strerror(errno)));
    if (r <= 0) continue;
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return lost(fmt::format("cannot read an answer: {}", strerror(errno)));
    if (n == 0) return lost("it has exited");
    auto response = decode_response(std::string_view(buffer.data(), static_cast<size_t>(n)));
    if (!response) return lost("unreadable answer: " + response.error().message());
    return std::move(*response);
  }
}

Result<std::string> PrivsepClient::deliver_local(std::string_view user, std::string_view sender,
                                                 std::string_view recipient,
                                                 std::string_view message) {
  auto fd = make_sealed_memfd(message);
  if (!fd) return fail(std::move(fd).error());
  Request request;
  request.type = RequestType::kDeliverLocal;
  request.user = user;
  request.sender = sender;
  request.recipient = recipient;
  auto response = call(request, *fd);
  ::close(*fd);
  if (!response) return fail(std::move(response).error());
  return response->to_result();
}

Result<bool> PrivsepClient::pam_check(std::string_view user, std::string_view password) {
  Request request;
  request.type = RequestType::kPamCheck;
  request.user = user;
  request.password = password;
  auto response = call(request, -1);
  if (!response) return fail(std::move(response).error());
  auto value = response->to_result();
  if (!value) return fail(std::move(value).error());
  return *value == "1";
}

}  // namespace hm::privsep
