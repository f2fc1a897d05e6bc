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
#include "base/unique_fd.h"

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

PrivsepClient::PrivsepClient(int fd, std::chrono::seconds answer_timeout, unsigned max_in_flight)
    : fd_(fd), timeout_(answer_timeout), max_in_flight_(max_in_flight) {}

PrivsepClient::~PrivsepClient() {
  if (fd_ >= 0) ::close(fd_);
}

Result<Response> PrivsepClient::call(const Request& request, int pass_fd) {
  if (broken_.load()) {
    return fail(ErrorKind::kTemporary, "the privileged helper is not available",
                std::string(kRestart));
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return fail(ErrorKind::kTemporary, "cannot create a socket for the privileged helper's answer",
                strerror(errno));
  }
  UniqueFd mine(pair[0]), theirs(pair[1]);

  std::string frame = encode_request(request);
  iovec iov{frame.data(), frame.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  int passed[2] = {theirs.get(), pass_fd};
  const size_t count = pass_fd >= 0 ? 2 : 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof passed)] = {};
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * count);
  memcpy(CMSG_DATA(c), passed, sizeof(int) * count);
  // One record per sendmsg on a SEQPACKET socket: threads need no lock.
  while (::sendmsg(fd_, &msg, MSG_NOSIGNAL) < 0) {
    if (errno == EINTR) continue;
    std::string what = fmt::format("cannot send a request: {}", strerror(errno));
    if (!broken_.exchange(true)) log::error("privileged helper: {}; {}", what, kRestart);
    return fail(ErrorKind::kTemporary, "the privileged helper is not available", what);
  }
  theirs.reset();  // the helper holds it now: EOF on ours if it ends without answering

  auto deadline = std::chrono::steady_clock::now() + timeout_;
  std::string buffer(kMaxFrame + 1, '\0');
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      log::warning("privileged helper: no answer to a {} within {} s",
                   request.type == RequestType::kPamCheck ? "PAM check" : "local delivery",
                   timeout_.count());
      return fail(ErrorKind::kTemporary,
                  fmt::format("the privileged helper did not answer within {} s; will retry",
                              timeout_.count()));
    }
    pollfd p{mine.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 60000)));
    if (r < 0 && errno != EINTR) {
      return fail(ErrorKind::kTemporary, "cannot wait for the privileged helper", strerror(errno));
    }
    if (r <= 0) continue;
    ssize_t n = ::recv(mine.get(), buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return fail(ErrorKind::kTemporary, "cannot read the privileged helper's answer",
                  strerror(errno));
    }
    if (n == 0) {
      return fail(ErrorKind::kTemporary,
                  "the privileged helper ended the request without an answer; will retry");
    }
    auto response = decode_response(std::string_view(buffer.data(), static_cast<size_t>(n)));
    if (!response) {
      return fail(ErrorKind::kTemporary, "unreadable answer from the privileged helper",
                  response.error().message());
    }
    return std::move(*response);
  }
}

namespace {

// A place among the `limit` calls of one kind in flight, or none.
class Slot {
 public:
  Slot(std::atomic<unsigned>& count, unsigned limit) : count_(count) {
    taken_ = count_.fetch_add(1) < limit;
    if (!taken_) count_.fetch_sub(1);
  }
  ~Slot() {
    if (taken_) count_.fetch_sub(1);
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  bool taken() const { return taken_; }

 private:
  std::atomic<unsigned>& count_;
  bool taken_;
};

}  // namespace

Result<std::string> PrivsepClient::deliver_local(std::string_view user, std::string_view sender,
                                                 std::string_view recipient,
                                                 std::string_view message) {
  Slot slot(deliveries_, max_in_flight_);
  if (!slot.taken()) {
    return fail(
        ErrorKind::kTemporary,
        fmt::format("{} local deliveries are in progress already; will retry", max_in_flight_));
  }
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
  Slot slot(pam_checks_, max_in_flight_);
  if (!slot.taken()) {
    return fail(ErrorKind::kTemporary,
                fmt::format("{} password checks are in progress already", max_in_flight_));
  }
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
