#include "privsep/helper.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privsep/privsep_client.h"
#include "privsep/protocol.h"

namespace hm::privsep {
namespace {

// The helper loop in a forked child, on a socketpair, as start_helper runs
// it; the test holds the client end.
class HelperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    HelperSettings settings;
    settings.delivery.hostname = "test.example";
    settings.pam_service = "hostmail-unit-test";
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::close(pair[0]);
      ::_exit(run_helper(pair[1], settings));
    }
    ::close(pair[1]);
    raw_fd_ = ::dup(pair[0]);
    client_ = std::make_unique<PrivsepClient>(pair[0], std::chrono::seconds(30));
  }
  void TearDown() override {
    client_.reset();
    if (raw_fd_ >= 0) ::close(raw_fd_);
    int status = 0;
    ASSERT_EQ(::waitpid(pid_, &status, 0), pid_);
    // The helper ends by itself, cleanly, once its peer is gone.
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  pid_t pid_ = -1;
  int raw_fd_ = -1;
  std::unique_ptr<PrivsepClient> client_;
};

TEST_F(HelperTest, RefusesRootAndUnknownUsersPermanently) {
  auto root = client_->deliver_local("root", "a@example.org", "root@localhost", "x\n");
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().kind(), ErrorKind::kPermission);
  EXPECT_NE(root.error().message().find("uid 0"), std::string::npos);

  auto unknown = client_->deliver_local("hm-no-such-user-x7", "", "x@localhost", "x\n");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::kNotFound);
}

TEST_F(HelperTest, PamCheckOfAnUnknownUserIsNo) {
  auto r = client_->pam_check("hm-no-such-user-x7", "secret");
  if (!r) {
    // A machine without a usable PAM stack answers "cannot decide now".
    EXPECT_TRUE(r.error().temporary()) << r.error().describe();
  } else {
    EXPECT_FALSE(*r);
  }
  // The connection stays usable after an answer.
  auto again = client_->deliver_local("root", "", "root@localhost", "x\n");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kPermission);
}

TEST_F(HelperTest, RefusesAMessageThatIsNotASealedMemfd) {
  Request request;
  request.type = RequestType::kDeliverLocal;
  request.user = "nobody";
  std::string frame = encode_request(request);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  iovec iov{frame.data(), frame.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &pipe_fds[0], sizeof(int));
  ASSERT_EQ(::sendmsg(raw_fd_, &msg, 0), static_cast<ssize_t>(frame.size()));
  char buf[4096];
  ssize_t n = ::recv(raw_fd_, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  auto response = decode_response(std::string_view(buf, static_cast<size_t>(n)));
  ASSERT_TRUE(response);
  ASSERT_FALSE(response->ok);
  EXPECT_NE(response->message.find("sealed memfd"), std::string::npos);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST_F(HelperTest, AnswersGarbageWithAnErrorAndKeepsServing) {
  const char junk[] = "\x00\x00\x00\x02\x07z";
  ASSERT_EQ(::send(raw_fd_, junk, sizeof junk - 1, 0), 6);
  char buf[4096];
  ssize_t n = ::recv(raw_fd_, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  auto response = decode_response(std::string_view(buf, static_cast<size_t>(n)));
  ASSERT_TRUE(response);
  EXPECT_FALSE(response->ok);
  EXPECT_EQ(response->kind, ErrorKind::kInvalid);
  auto root = client_->deliver_local("root", "", "root@localhost", "x\n");
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().kind(), ErrorKind::kPermission);
}

}  // namespace
}  // namespace hm::privsep
