#pragma once
// A net::Stream in memory, for driving a protocol session in-process: the
// test writes what the client sends into a MemoryPipe and reads what the
// server wrote, on the thread that runs the session's io_context.

#include <memory>
#include <string>
#include <string_view>

#include "net/asio.h"
#include "net/stream.h"

namespace hm::test_support {

class MemoryPipe {
 public:
  // What the client sends next; wakes a session waiting for input.
  void send(std::string_view bytes);
  // The client closes its side: reads end once what was sent is consumed.
  void close_input();
  // Everything the server has written so far, and whether it closed.
  const std::string& output() const { return to_client_; }
  bool closed_by_server() const { return server_closed_; }
  // The stream says it is encrypted, as one of an implicit-TLS port (or
  // after STARTTLS) would: a session's TLS-only paths run in memory.
  void pretend_secure() { secure_ = true; }

 private:
  friend class MemoryStream;
  void wake();

  std::string to_server_;
  std::string to_client_;
  bool input_closed_ = false;
  bool server_closed_ = false;
  bool secure_ = false;
  net::asio::steady_timer* waiting_ = nullptr;  // the session's pending read
};

std::unique_ptr<net::Stream> make_memory_stream(std::shared_ptr<MemoryPipe> pipe);

}  // namespace hm::test_support
