// The connection over a stream in memory: line reads, counted reads and the
// per-address release, without sockets or threads.

#include "net/connection.h"

#include <gtest/gtest.h>

#include "memory_stream.h"

namespace hm::net {
namespace {

using test_support::MemoryPipe;

class ConnectionTest : public ::testing::Test {
 protected:
  // Runs `body` as a coroutine over a connection fed by pipe_ until it ends.
  template <typename Body>
  void run(Body body) {
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          Connection c(io_.get_executor(), test_support::make_memory_stream(pipe_), "192.0.2.1",
                       [this] { ++released_; });
          co_await c.run(body(c));
        },
        [&](std::exception_ptr e) {
          done = true;
          if (e) std::rethrow_exception(e);
        });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(done);
  }

  asio::io_context io_;
  std::shared_ptr<MemoryPipe> pipe_ = std::make_shared<MemoryPipe>();
  int released_ = 0;
};

TEST_F(ConnectionTest, LinesEndAtCrlfOrLfAndOverlongOnesAreDroppedWhole) {
  pipe_->send("first\r\nsecond\n" + std::string(50, 'x') + "\r\nthird\r\n");
  pipe_->close_input();
  std::vector<std::string> got;
  run([&](Connection& c) -> asio::awaitable<void> {
    for (;;) {
      std::string line;
      const auto r = co_await c.read_line(line, 20, std::chrono::seconds(5));
      if (r == Connection::Read::kClosed) break;
      got.push_back(r == Connection::Read::kTooLong ? "<too long>" : line);
    }
  });
  EXPECT_EQ(got, (std::vector<std::string>{"first", "second", "<too long>", "third"}));
}

TEST_F(ConnectionTest, CountedBytesComeInPiecesAndLeaveTheRestBuffered) {
  pipe_->send("0123456789tail\r\n");
  std::string counted, rest;
  run([&](Connection& c) -> asio::awaitable<void> {
    Connection::Transfer t({std::chrono::seconds(5), 100});
    EXPECT_TRUE(co_await c.read_counted(10, t, [&](std::string_view p) { counted += p; }));
    co_await c.read_line(rest, 100, std::chrono::seconds(5));
  });
  EXPECT_EQ(counted, "0123456789");
  EXPECT_EQ(rest, "tail");
}

TEST_F(ConnectionTest, ACountedReadCutShortByTheClientFails) {
  pipe_->send("abc");
  pipe_->close_input();
  bool result = true;
  run([&](Connection& c) -> asio::awaitable<void> {
    Connection::Transfer t({std::chrono::seconds(5), 100});
    result = co_await c.read_counted(10, t, [](std::string_view) {});
  });
  EXPECT_FALSE(result);
}

TEST_F(ConnectionTest, OutputWaitsForFlushAndTheAddressIsReleasedOnce) {
  pipe_->close_input();
  run([&](Connection& c) -> asio::awaitable<void> {
    c.write("one\r\n");
    c.write("two\r\n");
    EXPECT_EQ(pipe_->output(), "");
    EXPECT_TRUE(co_await c.flush(std::chrono::seconds(5)));
    EXPECT_EQ(pipe_->output(), "one\r\ntwo\r\n");
    c.release_address();
    EXPECT_EQ(released_, 1);
  });
  EXPECT_EQ(released_, 1);  // not again when the connection ends
}

TEST_F(ConnectionTest, ATimedOutReadEndsWithTimeoutNotClosed) {
  Connection::Read r = Connection::Read::kLine;
  run([&](Connection& c) -> asio::awaitable<void> {
    std::string line;
    r = co_await c.read_line(line, 100, std::chrono::seconds(1));
    EXPECT_TRUE(c.timed_out());
  });
  EXPECT_EQ(r, Connection::Read::kTimeout);
}

}  // namespace
}  // namespace hm::net

namespace hm::net {
namespace {

// IMAP's IDLE waits for the client's DONE and looks for new mail every
// second: read_more_or_tick() ticks while nothing comes, hands over what
// comes (nothing lost to the cancelled read), and says when the client left.
TEST_F(ConnectionTest, ReadMoreOrTickTicksUntilInputComesThenSeesTheClose) {
  asio::steady_timer later(io_, std::chrono::milliseconds(130));
  later.async_wait([this](boost::system::error_code) { pipe_->send("DONE\r\n"); });
  std::vector<Connection::Wait> waits;
  std::string got;
  run([&](Connection& c) -> asio::awaitable<void> {
    Connection::Transfer t({std::chrono::seconds(5), 100});
    for (;;) {
      const auto w = co_await c.read_more_or_tick(t, std::chrono::milliseconds(40));
      waits.push_back(w);
      if (w == Connection::Wait::kInput) break;
    }
    got = c.input();
    pipe_->close_input();
    waits.push_back(co_await c.read_more_or_tick(t, std::chrono::milliseconds(40)));
  });
  ASSERT_GE(waits.size(), 4u);
  for (size_t i = 0; i + 2 < waits.size(); ++i) EXPECT_EQ(waits[i], Connection::Wait::kTick) << i;
  EXPECT_EQ(waits[waits.size() - 2], Connection::Wait::kInput);
  EXPECT_EQ(waits.back(), Connection::Wait::kClosed);
  EXPECT_EQ(got, "DONE\r\n");
}

}  // namespace
}  // namespace hm::net
