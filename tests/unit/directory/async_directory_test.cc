#include "directory/async_directory.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "test_tree.h"

namespace hm::directory {
namespace {

// Lets a test hold every lookup until it says go, and tells it when the
// first lookup has started (so no sleep has to stand in for "it is running").
class GatedDirectory : public memory::MemoryDirectory {
 public:
  Result<std::optional<Domain>> find_domain(std::string_view d) override {
    std::call_once(first_, [this] { entered_.set_value(); });
    gate_.wait();
    return MemoryDirectory::find_domain(d);
  }
  void open() { release_.set_value(); }
  void wait_until_running() { running_.wait(); }

 private:
  std::promise<void> release_;
  std::shared_future<void> gate_ = release_.get_future().share();
  std::once_flag first_;
  std::promise<void> entered_;
  std::shared_future<void> running_ = entered_.get_future().share();
};

TEST(AsyncDirectory, ResolvesOnWorkerThreads) {
  memory::MemoryDirectory dir;
  testing::fill(dir);
  Resolver resolver(dir, {});
  Authenticator authenticator(dir, {});
  AsyncDirectory async(resolver, authenticator, 2, std::chrono::seconds(5));
  std::promise<Result<Resolution>> got;
  auto caller = std::this_thread::get_id();
  std::thread::id worker;
  async.resolve("team@domain1.example", [&](Result<Resolution> r) {
    worker = std::this_thread::get_id();
    got.set_value(std::move(r));
  });
  auto r = got.get_future().get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->destinations.size(), 2u);
  EXPECT_NE(worker, caller);
}

TEST(AsyncDirectory, ResolvesInlineOnlyWhenAskedAndGivesTheSameAnswer) {
  memory::MemoryDirectory dir;
  testing::fill(dir);
  EXPECT_TRUE(dir.answers_locally());
  Resolver resolver(dir, {});
  Authenticator authenticator(dir, {});
  AsyncDirectory queued(resolver, authenticator, 1, std::chrono::seconds(5));
  AsyncDirectory direct(resolver, authenticator, 1, std::chrono::seconds(5),
                        /*resolve_inline=*/true);
  EXPECT_FALSE(queued.resolves_inline());
  EXPECT_TRUE(direct.resolves_inline());
  std::promise<Result<Resolution>> got;
  queued.resolve("team@domain1.example",
                 [&](Result<Resolution> r) { got.set_value(std::move(r)); });
  auto via_worker = got.get_future().get();
  auto inline_answer = direct.resolve_now("team@domain1.example");
  ASSERT_TRUE(via_worker);
  ASSERT_TRUE(inline_answer);
  ASSERT_EQ(inline_answer->destinations.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(inline_answer->destinations[i].address, via_worker->destinations[i].address);
  }
  auto unknown = direct.resolve_now("nobody@domain1.example");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind(), ErrorKind::kNotFound);
}

TEST(AsyncDirectory, AuthenticateFailureArrives) {
  memory::MemoryDirectory dir;
  testing::fill(dir);
  Resolver resolver(dir, {});
  Authenticator authenticator(dir, {});
  AsyncDirectory async(resolver, authenticator, 1, std::chrono::seconds(5));
  std::promise<Result<Principal>> got;
  async.authenticate("user1@domain1.example", "x", Service::kImap,
                     [&](Result<Principal> p) { got.set_value(std::move(p)); });
  auto p = got.get_future().get();
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().kind(), ErrorKind::kAuthFailed);
}

// The client's address reaches the Authenticator's per-address throttle.
TEST(AsyncDirectory, AuthenticateThrottlesPerClientAddress) {
  memory::MemoryDirectory dir;
  testing::fill(dir);
  Resolver resolver(dir, {});
  AuthenticatorOptions options;
  options.per_client.free_failures = 1;
  Authenticator authenticator(dir, options);
  AsyncDirectory async(resolver, authenticator, 1, std::chrono::seconds(5));
  auto attempt = [&](const std::string& login, const std::string& client) {
    std::promise<Result<Principal>> got;
    async.authenticate(
        login, "wrong", Service::kImap, [&](Result<Principal> p) { got.set_value(std::move(p)); },
        client);
    return got.get_future().get();
  };
  EXPECT_EQ(attempt("user1@domain1.example", "192.0.2.1").error().kind(), ErrorKind::kAuthFailed);
  EXPECT_EQ(attempt("user2@domain1.example", "192.0.2.1").error().kind(), ErrorKind::kTemporary);
  EXPECT_EQ(attempt("user2@domain1.example", "192.0.2.2").error().kind(), ErrorKind::kAuthFailed);
}

TEST(AsyncDirectory, QueuedTooLongIsTemporary) {
  GatedDirectory dir;
  testing::fill(dir);  // add_* do not call find_domain
  Resolver resolver(dir, {});
  Authenticator authenticator(dir, {});
  AsyncDirectory async(resolver, authenticator, 1, std::chrono::milliseconds(50));
  std::promise<Result<Resolution>> first, second;
  async.resolve("user1@domain1.example",
                [&](Result<Resolution> r) { first.set_value(std::move(r)); });
  async.resolve("user2@domain1.example",
                [&](Result<Resolution> r) { second.set_value(std::move(r)); });
  dir.wait_until_running();  // the first holds the only worker...
  // ...while the second waits past its 50 ms in the queue.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  dir.open();
  EXPECT_TRUE(first.get_future().get());  // was running already
  auto late = second.get_future().get();
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind(), ErrorKind::kTemporary);
}

TEST(AsyncDirectory, DestructionCompletesQueuedCalls) {
  GatedDirectory dir;
  testing::fill(dir);
  Resolver resolver(dir, {});
  Authenticator authenticator(dir, {});
  std::promise<Result<Resolution>> queued;
  std::thread opener;
  {
    AsyncDirectory async(resolver, authenticator, 1, std::chrono::seconds(5));
    async.resolve("user1@domain1.example", [](Result<Resolution>) {});
    async.resolve("user2@domain1.example",
                  [&](Result<Resolution> r) { queued.set_value(std::move(r)); });
    dir.wait_until_running();
    // The running call ends only after the destructor has begun, so the
    // queued one is still waiting when the pool stops.
    opener = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      dir.open();
    });
  }
  opener.join();
  auto r = queued.get_future().get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kTemporary);
}

}  // namespace
}  // namespace hm::directory
