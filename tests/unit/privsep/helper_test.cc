#include "privsep/helper.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "../common/local_account.h"
#include "../common/needs_root.h"
#include "base/unique_fd.h"

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
  ASSERT_TRUE(r) << r.error().describe();  // decided before PAM is asked
  EXPECT_FALSE(*r);
  // The connection stays usable after an answer.
  auto again = client_->deliver_local("root", "", "root@localhost", "x\n");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kPermission);
}

// Issue 11.4: whatever the daemon asks, the helper never checks a system
// account's password (no root-password oracle even for a compromised
// daemon), and a refusal costs the asker two seconds.
TEST_F(HelperTest, PamCheckOfASystemAccountIsNoAndSlow) {
  for (const char* user : {"root", "daemon"}) {
    auto start = std::chrono::steady_clock::now();
    auto r = client_->pam_check(user, "any guess");
    ASSERT_TRUE(r) << user << ": " << r.error().describe();
    EXPECT_FALSE(*r) << user;
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1900)) << user;
  }
}

// The helper's own work, done: a local user made for the test gets the
// message in ~/Maildir/new/, written as that user, byte for byte, and the
// helper says which file it wrote.
TEST_F(HelperTest, DeliversToALocalUsersMaildirAsThatUser) {
  HM_NEEDS_ROOT("to create a local user and deliver as it");
  hm::testing::LocalAccount account("hmh");
  ASSERT_TRUE(account.create("Helper pass 1")) << "useradd " << account.name() << " failed";
  const passwd* pw = ::getpwnam(account.name().c_str());
  ASSERT_NE(pw, nullptr);
  const std::string text = "Return-Path: <a@example.org>\nDelivered-To: " + account.name() +
                           "@localhost\n" + "Subject: via the helper\n\nbody\n";
  auto name =
      client_->deliver_local(account.name(), "a@example.org", account.name() + "@localhost", text);
  ASSERT_TRUE(name) << name.error().describe();
  const std::string maildir = std::string(pw->pw_dir) + "/Maildir";
  const std::string path = maildir + "/new/" + *name;
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << path;
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), text);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, pw->pw_uid);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(maildir.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, pw->pw_uid);
  EXPECT_TRUE(std::filesystem::is_empty(maildir + "/tmp"));
}

// And the helper's PAM check of an ordinary local user: yes for the right
// password, no for a wrong one (not an error, not "try later").
TEST_F(HelperTest, PamCheckOfALocalUserIsYesForTheRightPasswordOnly) {
  HM_NEEDS_ROOT("to create a local user with a password");
  hm::testing::LocalAccount account("hmp");
  ASSERT_TRUE(account.create("Helper pass 2")) << "useradd " << account.name() << " failed";
  auto right = client_->pam_check(account.name(), "Helper pass 2");
  ASSERT_TRUE(right) << right.error().describe();
  EXPECT_TRUE(*right);
  auto wrong = client_->pam_check(account.name(), "Helper pass 3");
  ASSERT_TRUE(wrong) << wrong.error().describe();
  EXPECT_FALSE(*wrong);
}

// Sends `frame` on the helper's socket with `fds` beside it, as the client
// does, and returns the answer read from `answer_fd` ("" when the helper
// closed it without answering, or gave no answer within 10 s).
std::string send_raw(int socket_fd, const std::string& frame, std::vector<int> fds, int answer_fd) {
  std::string copy = frame;
  iovec iov{copy.data(), copy.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
  if (!fds.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  EXPECT_EQ(::sendmsg(socket_fd, &msg, 0), static_cast<ssize_t>(copy.size()));
  if (answer_fd < 0) return "";
  pollfd p{answer_fd, POLLIN, 0};
  if (::poll(&p, 1, 10000) != 1) return "";
  char buf[4096];
  ssize_t n = ::recv(answer_fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

struct AnswerSocket {
  AnswerSocket() {
    int pair[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    mine = UniqueFd(pair[0]);
    theirs = UniqueFd(pair[1]);
  }
  UniqueFd mine, theirs;
};

TEST_F(HelperTest, RefusesAMessageThatIsNotASealedMemfd) {
  Request request;
  request.type = RequestType::kDeliverLocal;
  request.user = "nobody";
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  AnswerSocket answer;
  std::string reply = send_raw(raw_fd_, encode_request(request), {answer.theirs.get(), pipe_fds[0]},
                               answer.mine.get());
  auto response = decode_response(reply);
  ASSERT_TRUE(response);
  ASSERT_FALSE(response->ok);
  EXPECT_NE(response->message.find("sealed memfd"), std::string::npos);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST_F(HelperTest, AnswersGarbageWithAnErrorAndKeepsServing) {
  AnswerSocket answer;
  std::string reply = send_raw(raw_fd_, std::string("\x00\x00\x00\x02\x07z", 6),
                               {answer.theirs.get()}, answer.mine.get());
  auto response = decode_response(reply);
  ASSERT_TRUE(response);
  EXPECT_FALSE(response->ok);
  EXPECT_EQ(response->kind, ErrorKind::kInvalid);
  auto root = client_->deliver_local("root", "", "root@localhost", "x\n");
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().kind(), ErrorKind::kPermission);
}

// The request decoder runs as root on what the daemon sends: exactly the
// descriptors a request type needs, the first an answer socket.
TEST_F(HelperTest, RefusesTheWrongDescriptorsAndKeepsServing) {
  Request pam;
  pam.type = RequestType::kPamCheck;
  pam.user = "nobody";
  {
    AnswerSocket answer, extra;
    auto response =
        decode_response(send_raw(raw_fd_, encode_request(pam),
                                 {answer.theirs.get(), extra.theirs.get()}, answer.mine.get()));
    ASSERT_TRUE(response);
    ASSERT_FALSE(response->ok);
    EXPECT_EQ(response->kind, ErrorKind::kInvalid);
    EXPECT_NE(response->message.find("must pass 1 descriptors, not 2"), std::string::npos);
  }
  {
    Request deliver;
    deliver.type = RequestType::kDeliverLocal;
    deliver.user = "nobody";
    AnswerSocket answer;
    auto response = decode_response(
        send_raw(raw_fd_, encode_request(deliver), {answer.theirs.get()}, answer.mine.get()));
    ASSERT_TRUE(response);
    ASSERT_FALSE(response->ok);
    EXPECT_NE(response->message.find("must pass 2 descriptors, not 1"), std::string::npos);
  }
  // No answer socket (nothing, or a pipe): nowhere to answer; ignored.
  send_raw(raw_fd_, encode_request(pam), {}, -1);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  send_raw(raw_fd_, encode_request(pam), {pipe_fds[1]}, -1);
  ::close(pipe_fds[1]);
  char c;
  EXPECT_EQ(::read(pipe_fds[0], &c, 1), 0);  // the helper wrote nothing and closed it
  ::close(pipe_fds[0]);
  auto root = client_->deliver_local("root", "", "root@localhost", "x\n");
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().kind(), ErrorKind::kPermission);
}

// A stand-in for the helper, to watch the client alone: takes requests from
// the socket and keeps their answer sockets until told to answer.
class FakeHelper {
 public:
  explicit FakeHelper(int fd) : fd_(fd) {}
  // Waits (up to 10 s) for the next request; false when none came.
  bool take() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return false;
    char buf[kMaxFrame];
    iovec iov{buf, sizeof buf};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC) <= 0) return false;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (!c) return false;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int passed;
      memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (i == 0) {
        answers_.emplace_back(passed);
      } else {
        ::close(passed);
      }
    }
    return true;
  }
  void answer_all(const std::string& value) {
    std::string reply = encode_response(Response::success(value));
    for (UniqueFd& a : answers_) ::send(a.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
    answers_.clear();
  }

 private:
  int fd_;
  std::vector<UniqueFd> answers_;
};

class PrivsepClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int pair[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    helper_end_ = UniqueFd(pair[1]);
    client_ = std::make_unique<PrivsepClient>(pair[0], std::chrono::seconds(2), 3);
    fake_ = std::make_unique<FakeHelper>(helper_end_.get());
  }
  UniqueFd helper_end_;
  std::unique_ptr<PrivsepClient> client_;
  std::unique_ptr<FakeHelper> fake_;
};

// Two calls are with the helper at once: the second is sent while the first
// still waits for its answer.
TEST_F(PrivsepClientTest, CallsRunSideBySide) {
  std::vector<Result<std::string>> results(2, Result<std::string>(std::string()));
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] { results[i] = client_->deliver_local("u", "", "u@x", "m"); });
  }
  EXPECT_TRUE(fake_->take());
  EXPECT_TRUE(fake_->take());
  fake_->answer_all("delivered");
  for (auto& t : threads) t.join();
  for (auto& r : results) {
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(*r, "delivered");
  }
}

// Beyond max_in_flight deliveries, one more is a temporary failure at once
// (the message waits in the queue), not a wait for a delivery thread.
TEST_F(PrivsepClientTest, OneDeliveryTooManyIsTemporaryAtOnce) {
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] { EXPECT_TRUE(client_->deliver_local("u", "", "u@x", "m")); });
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(fake_->take());
  auto start = std::chrono::steady_clock::now();
  auto fourth = client_->deliver_local("u", "", "u@x", "m");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  ASSERT_FALSE(fourth);
  EXPECT_TRUE(fourth.error().temporary());
  EXPECT_NE(fourth.error().message().find("in progress already"), std::string::npos);
  fake_->answer_all("delivered");
  for (auto& t : threads) t.join();
  // The places are free again.
  std::thread again([&] { EXPECT_TRUE(client_->deliver_local("u", "", "u@x", "m")); });
  ASSERT_TRUE(fake_->take());
  fake_->answer_all("delivered");
  again.join();
}

// No answer in time is a temporary failure of that call only: the next call
// is served (answers cannot be mixed up, each has its own socket).
TEST_F(PrivsepClientTest, NoAnswerInTimeIsTemporaryAndTheClientStaysUsable) {
  std::thread late([&] {
    auto r = client_->deliver_local("u", "", "u@x", "m");
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().temporary());
    EXPECT_NE(r.error().message().find("did not answer within 2 s"), std::string::npos);
  });
  ASSERT_TRUE(fake_->take());
  late.join();
  fake_->answer_all("too late");  // to a caller that is gone: harmless
  std::thread next([&] {
    auto r = client_->pam_check("u", "pw");
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_TRUE(*r);
  });
  ASSERT_TRUE(fake_->take());
  fake_->answer_all("1");
  next.join();
}

}  // namespace
}  // namespace hm::privsep
