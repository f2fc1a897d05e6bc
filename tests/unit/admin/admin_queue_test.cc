// AdminService over the queue: the superuser sees and changes everything, a
// postmaster the mail of their domains (queue_scope.h), an account nothing.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "admin/admin_service.h"
#include "directory/memory/memory_directory.h"

namespace hm::admin {
namespace {

using queue::QueuedRecipient;

void must(const Status& s) { ASSERT_TRUE(s.has_value()) << s.error().describe(); }

QueuedRecipient rcpt(const std::string& address) {
  QueuedRecipient r;
  r.address = r.original = address;
  r.state = QueuedRecipient::State::kDeferred;
  r.attempts = 1;
  r.next_attempt = std::chrono::system_clock::now() + std::chrono::hours(1);
  return r;
}

class AdminQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_ = std::filesystem::temp_directory_path() /
             ("hm-admin-queue-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(state_);
    auto q = queue::Queue::open(state_.string(), false);
    ASSERT_TRUE(q) << q.error().describe();
    queue_.emplace(std::move(*q));
    resources_.emplace(dir_, &*queue_);
    options_.password_scheme = "SSHA";

    auto admin = as_superuser();
    must(admin.add_domain("one.example", ""));
    must(admin.add_domain("two.example", ""));
    for (const char* a : {"pm@one.example", "joe@one.example", "ann@two.example"}) {
      ASSERT_TRUE(admin.add_account(a, std::nullopt, 0));
    }
    must(admin.grant_postmaster("one.example", "pm@one.example"));

    from_one_ = enqueue("joe@one.example", {rcpt("x@far.example")});
    to_both_ = enqueue("x@far.example", {rcpt("joe@one.example"), rcpt("ann@two.example")});
    to_two_ = enqueue("x@far.example", {rcpt("ann@two.example")});
  }
  void TearDown() override { std::filesystem::remove_all(state_); }

  std::string enqueue(const std::string& sender, const std::vector<QueuedRecipient>& recipients) {
    auto id = queue_->enqueue(sender, recipients, "Subject: t\r\n\r\nbody\r\n");
    EXPECT_TRUE(id) << id.error().describe();
    return id.value_or("");
  }
  AdminService as_superuser() {
    return AdminService(*resources_, options_, {Principal::Kind::kSuperuser, "admin", {}});
  }
  AdminService as(const std::string& address) {
    return AdminService(*resources_, options_, {Principal::Kind::kVirtual, address, {}});
  }
  // The ids listed, and each one's recipients, as "id:rcpt,rcpt".
  static std::vector<std::string> listed(AdminService& admin) {
    auto entries = admin.list_queue();
    EXPECT_TRUE(entries) << entries.error().describe();
    std::vector<std::string> out;
    for (const queue::QueueEntry& e : entries.value_or(std::vector<queue::QueueEntry>{})) {
      std::string line = e.id + ":";
      for (const QueuedRecipient& r : e.recipients) line += r.address + ",";
      out.push_back(line);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::vector<std::string> sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  }
  std::chrono::system_clock::time_point next_attempt(const std::string& id) {
    return queue_->get(id).value().recipients.at(0).next_attempt;
  }

  std::filesystem::path state_;
  directory::memory::MemoryDirectory dir_;
  std::optional<queue::Queue> queue_;
  std::optional<OpenResources> resources_;
  AdminOptions options_;
  std::string from_one_, to_both_, to_two_;
};

TEST_F(AdminQueueTest, SuperuserSeesEverything) {
  auto admin = as_superuser();
  EXPECT_EQ(listed(admin),
            sorted({from_one_ + ":x@far.example,", to_both_ + ":joe@one.example,ann@two.example,",
                    to_two_ + ":ann@two.example,"}));
  must(admin.delete_queued(to_both_));
  must(admin.retry_queued(""));
  EXPECT_LE(next_attempt(to_two_), std::chrono::system_clock::now());
}

TEST_F(AdminQueueTest, PostmasterSeesTheMailOfTheirDomainsOnly) {
  auto pm = as("pm@one.example");
  EXPECT_EQ(listed(pm), sorted({from_one_ + ":x@far.example,", to_both_ + ":joe@one.example,"}));

  // Another domain's mail is not there for them, as an unknown id is not.
  auto hidden = pm.delete_queued(to_two_);
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(pm.retry_queued(to_two_).error().kind(), ErrorKind::kNotFound);
  // Mail that another domain waits for too is not theirs to delete.
  auto shared = pm.delete_queued(to_both_);
  ASSERT_FALSE(shared);
  EXPECT_EQ(shared.error().kind(), ErrorKind::kPermission);
  EXPECT_TRUE(queue_->get(to_both_));

  // Retrying all retries theirs, and leaves the rest alone.
  must(pm.retry_queued(""));
  const auto now = std::chrono::system_clock::now();
  EXPECT_LE(next_attempt(from_one_), now);
  EXPECT_LE(next_attempt(to_both_), now);
  EXPECT_GT(next_attempt(to_two_), now);

  must(pm.delete_queued(from_one_));
  EXPECT_EQ(queue_->get(from_one_).error().kind(), ErrorKind::kNotFound);
}

TEST_F(AdminQueueTest, AnAccountWithoutARoleSeesNoQueue) {
  auto joe = as("joe@one.example");
  EXPECT_EQ(joe.list_queue().error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(joe.retry_queued("").error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(joe.delete_queued(from_one_).error().kind(), ErrorKind::kPermission);
  EXPECT_TRUE(queue_->get(from_one_));
}

TEST_F(AdminQueueTest, ARevokedPostmasterLosesTheQueueAtOnce) {
  auto pm = as("pm@one.example");
  ASSERT_TRUE(pm.list_queue());
  must(as_superuser().revoke_postmaster("one.example", "pm@one.example"));
  EXPECT_EQ(pm.list_queue().error().kind(), ErrorKind::kPermission);
  EXPECT_EQ(pm.delete_queued(from_one_).error().kind(), ErrorKind::kPermission);
  EXPECT_TRUE(queue_->get(from_one_));
}

// The superuser's queue commands work while the directory cannot be opened
// (the CLI opens it only when asked for it); a postmaster's need their roles.
TEST_F(AdminQueueTest, TheSuperuserNeedsNoDirectoryForTheQueue) {
  struct NoDirectory final : Resources {
    queue::Queue* q;
    Result<directory::Directory*> directory() override {
      return fail(ErrorKind::kTemporary, "the directory is down");
    }
    Result<queue::Queue*> queue() override { return q; }
  } down;
  down.q = &*queue_;
  AdminService admin(down, options_, {Principal::Kind::kSuperuser, "admin", {}});
  EXPECT_EQ(listed(admin).size(), 3u);
  must(admin.retry_queued(to_two_));
  must(admin.delete_queued(to_two_));
  AdminService pm(down, options_, {Principal::Kind::kVirtual, "pm@one.example", {}});
  EXPECT_EQ(pm.list_queue().error().kind(), ErrorKind::kTemporary);
}

}  // namespace
}  // namespace hm::admin
