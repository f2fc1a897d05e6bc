#pragma once
// A GoogleTest fixture for protocol sessions driven in-process: the session
// runs on an io_context in the test's own thread over a MemoryPipe, and the
// test sends client lines and reads the server's. Shared by the SMTP and
// IMAP session tests, with the transcript lines every protocol has (C:, C+,
// S:, "! close", "! closed"; see tests/unit/smtp/smtp_session_test.cc).
// Header-only: it uses GoogleTest, which only tests link.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "escapes.h"
#include "memory_stream.h"
#include "net/asio.h"
#include "net/connection.h"
#include "transcripts.h"

namespace hm::test_support {

class SessionFixture : public ::testing::Test {
 protected:
  using Conversation = std::function<net::asio::awaitable<void>(net::Connection&)>;

  // Starts `conversation` (which runs the session over the connection it
  // is given) for a client at `peer`, over a fresh pipe.
  void start_session(std::string peer, Conversation conversation) {
    conversation_ = std::move(conversation);
    pipe_ = std::make_shared<MemoryPipe>();
    read_ = 0;
    session_done_ = false;
    net::asio::co_spawn(
        io_,
        [this, peer = std::move(peer)]() -> net::asio::awaitable<void> {
          net::Connection connection(io_.get_executor(), make_memory_stream(pipe_), peer);
          co_await conversation_(connection);
        },
        [this](std::exception_ptr) { session_done_ = true; });
  }

  // Runs the session until `ready` holds or `limit` passes.
  template <typename Ready>
  bool run_until(Ready ready, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ready()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_one_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  // The next line the server writes, without its CRLF; "" with a failure
  // when none comes.
  std::string next_line() {
    bool complete = run_until(
        [&] { return pipe_->output().find("\r\n", read_) != std::string::npos || session_done_; });
    const size_t end = pipe_->output().find("\r\n", read_);
    if (!complete || end == std::string::npos) {
      ADD_FAILURE() << "no line from the server; it sent: " << pipe_->output().substr(read_);
      return "";
    }
    std::string line = pipe_->output().substr(read_, end - read_);
    read_ = end + 2;
    return line;
  }

  // Plays one transcript line of the kinds every protocol has; false when
  // `raw` is none of them (the protocol's own "!" lines).
  bool play_common(const std::string& raw, const std::string& where) {
    if (raw == "C:") {
      pipe_->send("\r\n");
    } else if (raw.rfind("C: ", 0) == 0) {
      pipe_->send(unescape(raw.substr(3)) + "\r\n");
    } else if (raw.rfind("C+ ", 0) == 0) {
      pipe_->send(unescape(raw.substr(3)));
    } else if (raw.rfind("S: ", 0) == 0) {
      const std::string want = raw.substr(3);
      last_line_ = next_line();
      EXPECT_TRUE(glob_match(want, last_line_))
          << where << ": expected \"" << want << "\", got \"" << escape(last_line_) << "\"";
    } else if (raw == "! close") {
      pipe_->close_input();
    } else if (raw == "! closed") {
      EXPECT_TRUE(run_until([&] { return session_done_; })) << where << ": still open";
      EXPECT_TRUE(pipe_->closed_by_server()) << where;
      EXPECT_EQ(pipe_->output().substr(read_), "") << where << ": more output before the close";
    } else {
      return false;
    }
    return true;
  }

  net::asio::io_context io_;
  std::shared_ptr<MemoryPipe> pipe_;
  size_t read_ = 0;        // how much of the output next_line() has taken
  std::string last_line_;  // the line the last "S:" took
  bool session_done_ = true;

 private:
  Conversation conversation_;
};

}  // namespace hm::test_support
