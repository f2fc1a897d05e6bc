// The queue's writes through the fault-injection seam (base/file_system.h):
// a full disk or a failing one is reported and leaves no half file, and a
// crash after any step, followed by the loss of what was not fsynced, never
// loses an entry the queue acknowledged nor shows a damaged one.

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "queue/queue.h"
#include "support/fault_file_system.h"

namespace hm::queue {
namespace {

namespace stdfs = std::filesystem;
using State = QueuedRecipient::State;

class QueueFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { state_ = new_state(); }
  void TearDown() override {
    std::error_code ec;
    for (const std::string& s : states_) stdfs::remove_all(s, ec);
  }

  std::string new_state() {
    std::string tmpl = (stdfs::temp_directory_path() / "hm-queue-fault-XXXXXX").string();
    EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
    states_.push_back(tmpl);
    return tmpl;
  }

  static std::vector<QueuedRecipient> one_recipient() {
    QueuedRecipient r;
    r.address = "john@example.org";
    r.original = "john@example.org";
    return {r};
  }

  static std::vector<std::string> files(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : stdfs::directory_iterator(dir)) out.push_back(e.path().filename());
    return out;
  }

  std::string state_;
  std::vector<std::string> states_;
};

const std::string kMessage = "Subject: queued\r\n\r\nbody\r\n";

TEST_F(QueueFaultTest, AFullDiskWhileWritingTheEnvelopeLeavesNoHalfFileAndIsReported) {
  auto queue = Queue::open(state_);
  ASSERT_TRUE(queue);
  hm::testing::FaultFileSystem faults;
  hm::fs::ScopedFileSystem use(faults);
  faults.on_write = [](int fd, const void* data, size_t size) -> ssize_t {
    const std::string path = hm::testing::FaultFileSystem::path_of_fd(fd);
    if (path.size() > 4 && path.substr(path.size() - 4) == ".env") {
      errno = ENOSPC;
      return -1;
    }
    return ::write(fd, data, size);
  };
  auto id = queue->enqueue("a@example.net", one_recipient(), kMessage);
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().kind(), ErrorKind::kTemporary);
  EXPECT_NE(id.error().message().find("the file system is full"), std::string::npos)
      << id.error().message();
  EXPECT_NE(id.error().message().find(".env"), std::string::npos) << id.error().message();
  EXPECT_TRUE(files(state_ + "/queue/tmp").empty());
  EXPECT_TRUE(files(state_ + "/queue/active").empty());
}

TEST_F(QueueFaultTest, AFailingFsyncOfTheActiveFolderIsAnErrorAndTakesTheEntryBack) {
  auto queue = Queue::open(state_);
  ASSERT_TRUE(queue);
  hm::testing::FaultFileSystem faults;
  hm::fs::ScopedFileSystem use(faults);
  faults.on_fsync = [](int fd) {
    if (hm::testing::FaultFileSystem::path_of_fd(fd).ends_with("/queue/active")) {
      errno = EIO;
      return -1;
    }
    return ::fsync(fd);
  };
  auto id = queue->enqueue("a@example.net", one_recipient(), kMessage);
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().message().find("I/O error"), std::string::npos) << id.error().message();
  EXPECT_TRUE(files(state_ + "/queue/active").empty());
  EXPECT_TRUE(files(state_ + "/queue/tmp").empty());
}

// Every step of enqueue: crash there, lose what was not fsynced, reopen.
TEST_F(QueueFaultTest, ACrashAfterAnyStepOfEnqueueLosesNothingAcknowledged) {
  int total = 0;
  {
    auto queue = Queue::open(state_);
    ASSERT_TRUE(queue);
    hm::testing::FaultFileSystem faults;
    hm::fs::ScopedFileSystem use(faults);
    ASSERT_TRUE(queue->enqueue("a@example.net", one_recipient(), kMessage));
    total = faults.steps();
  }
  ASSERT_GE(total, 7);  // two files written and fsynced, two renames, a folder fsync
  for (int step = 0; step <= total; ++step) {
    const std::string state = new_state();
    Result<std::string> id = fail(ErrorKind::kInternal, "not run");
    {
      auto queue = Queue::open(state);
      ASSERT_TRUE(queue);
      hm::testing::FaultFileSystem faults;
      hm::fs::ScopedFileSystem use(faults);
      faults.crash_after(step);
      id = queue->enqueue("a@example.net", one_recipient(), kMessage);
      faults.lose_unsynced(state);
    }
    auto queue = Queue::open(state);
    ASSERT_TRUE(queue);
    auto entries = queue->list();
    ASSERT_TRUE(entries);
    if (id) {
      ASSERT_EQ(entries->size(), 1u)
          << "step " << step << " of " << total << ": acknowledged but lost";
      EXPECT_EQ((*entries)[0].id, *id);
    }
    ASSERT_LE(entries->size(), 1u);
    for (const QueueEntry& e : *entries) {
      auto message = queue->message(e.id);
      ASSERT_TRUE(message) << "step " << step;
      EXPECT_EQ(*message, kMessage) << "step " << step << ": a damaged entry is listed";
      EXPECT_EQ(e.recipients.size(), 1u);
    }
    if (step >= total) {
      EXPECT_TRUE(id) << "step " << step;
    }
  }
}

// An update rewrites the envelope: after a crash at any step the entry has
// its old state or its new one, never a damaged envelope, and an update that
// returned success is durable.
TEST_F(QueueFaultTest, ACrashAfterAnyStepOfAnUpdateKeepsTheOldStateOrTheNew) {
  int total = 0;
  for (int step = 0; total == 0 || step <= total; ++step) {
    const std::string state = new_state();
    auto queue = Queue::open(state);
    ASSERT_TRUE(queue);
    auto id = queue->enqueue("a@example.net", one_recipient(), kMessage);
    ASSERT_TRUE(id);
    auto entry = queue->get(*id);
    ASSERT_TRUE(entry);
    entry->recipients[0].state = State::kDeferred;
    entry->recipients[0].attempts = 1;
    entry->recipients[0].last_error = "451 4.3.0 try later";
    Status updated = ok();
    {
      hm::testing::FaultFileSystem faults;
      hm::fs::ScopedFileSystem use(faults);
      if (total > 0) faults.crash_after(step);
      updated = queue->update(*entry);
      if (total == 0) {
        ASSERT_TRUE(updated);
        total = faults.steps();
        continue;
      }
      faults.lose_unsynced(state);
    }
    auto reopened = Queue::open(state);
    ASSERT_TRUE(reopened);
    auto after = reopened->get(*id);
    ASSERT_TRUE(after) << "step " << step << ": " << after.error().describe();
    const QueuedRecipient& r = after->recipients[0];
    if (updated) {
      EXPECT_EQ(r.state, State::kDeferred) << "step " << step << ": acknowledged but lost";
    }
    EXPECT_TRUE((r.state == State::kPending && r.attempts == 0) ||
                (r.state == State::kDeferred && r.attempts == 1))
        << "step " << step;
  }
}

}  // namespace
}  // namespace hm::queue
