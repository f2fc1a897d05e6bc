// The connection pool: first come, first served hand-out, the unbounded
// default, and the wait that ends in a temporary error. Runs against the
// private slapd, since a connection binds on first use.

#include "directory/ldap/ldap_connection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "slapd_server.h"

namespace hm::directory::ldap {
namespace {

using namespace std::chrono_literals;
using testing::SlapdServer;

// Polls until pred holds or 10 s have passed.
template <typename Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// A gate one thread waits at until another opens it.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, 10s, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Takes a connection of `pool` on a thread of its own and holds it until
// release(): how the tests make every other caller wait.
class HeldConnection {
 public:
  HeldConnection(ConnectionPool& pool, const Identity& who)
      : thread_([this, &pool, &who] {
          EXPECT_TRUE(pool.run(who, [this](Connection&) {
            holds_ = true;
            gate_.wait();
            return ok();
          }));
        }) {}
  HeldConnection(const HeldConnection&) = delete;
  HeldConnection& operator=(const HeldConnection&) = delete;
  ~HeldConnection() { release(); }

  bool wait_until_held() {
    return eventually([this] { return holds_.load(); });
  }
  void release() {
    gate_.open();
    if (thread_.joinable()) thread_.join();
  }

 private:
  Gate gate_;
  std::atomic<bool> holds_{false};
  std::thread thread_;  // last: starts once the members it uses exist
};

class ConnectionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = SlapdServer::start();
    ASSERT_TRUE(started.has_value()) << started.error().describe();
    server_ = std::move(*started);
    root_ = {testing::kRootDn, server_->root_password()};
  }

  std::unique_ptr<SlapdServer> server_;
  Identity root_;
};

TEST_F(ConnectionPoolTest, WaitersGetTheConnectionInArrivalOrder) {
  ConnectionPool pool(server_->uri(), 10000ms, 1);
  HeldConnection first(pool, root_);
  ASSERT_TRUE(first.wait_until_held());

  constexpr int kWaiters = 6;
  std::mutex order_mutex;
  std::vector<int> order;
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&, i] {
      EXPECT_TRUE(pool.run(root_, [&](Connection&) {
        std::lock_guard lock(order_mutex);
        order.push_back(i);
        return ok();
      }));
    });
    // The next one starts only once this one is in the queue.
    ASSERT_TRUE(eventually([&] { return pool.waiting() == i + 1; }));
  }
  first.release();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(pool.waiting(), 0);
  EXPECT_EQ(pool.opened(), 1);  // handed on, never reopened
}

TEST_F(ConnectionPoolTest, SizeZeroGivesEveryConcurrentCallerItsOwnConnection) {
  ConnectionPool pool(server_->uri(), 10000ms, 0);
  constexpr int kCallers = 8;
  std::atomic<int> inside{0};
  Gate all_inside;
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&] {
      EXPECT_TRUE(pool.run(root_, [&](Connection& c) {
        // All callers hold a connection at the same time: none waits.
        if (++inside == kCallers) all_inside.open();
        all_inside.wait();
        auto found = c.search(testing::kBase, Scope::kBase, "(objectClass=*)", {"1.1"});
        return found ? ok() : fail(std::move(found).error());
      }));
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(inside.load(), kCallers);
  EXPECT_EQ(pool.opened(), kCallers);
  // Kept for the next callers rather than reopened.
  ASSERT_TRUE(pool.run(root_, [](Connection&) { return ok(); }));
  EXPECT_EQ(pool.opened(), kCallers);
}

TEST_F(ConnectionPoolTest, AWaiterGivesUpAfterTheTimeoutWithATemporaryError) {
  ConnectionPool pool(server_->uri(), 300ms, 1);
  HeldConnection first(pool, root_);
  ASSERT_TRUE(first.wait_until_held());
  auto start = std::chrono::steady_clock::now();
  auto busy = pool.run(root_, [](Connection&) { return ok(); });
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().kind(), ErrorKind::kTemporary);
  EXPECT_NE(busy.error().message().find("pool_size"), std::string::npos);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_EQ(pool.waiting(), 0);  // it left the queue
  first.release();
  EXPECT_TRUE(pool.run(root_, [](Connection&) { return ok(); }));
}

}  // namespace
}  // namespace hm::directory::ldap
