#pragma once
// The bytes under a connection: a TCP socket, TLS over it, or (in tests) a
// buffer in memory. A Connection reads and writes only through this, so a
// protocol session can be driven in-process without a socket. Asio inside:
// include only from the .cc files of servers and sessions.

#include <memory>
#include <string>
#include <string_view>

#include "net/asio.h"

namespace hm::net {

class TlsContext;

class Stream {
 public:
  virtual ~Stream() = default;
  // Appends at least one byte to `into`; false at the end of the stream, on
  // an error, or once cancel() has been called.
  virtual asio::awaitable<bool> read_some(std::string& into) = 0;
  // Writes all of `data`; false on an error or once cancelled.
  virtual asio::awaitable<bool> write(std::string_view data) = 0;
  // Becomes a TLS server over what it was; false with `error` set when the
  // handshake fails (the stream is then unusable) or TLS is not possible.
  virtual asio::awaitable<bool> start_tls(TlsContext& tls, std::string& error) = 0;
  // Becomes a TLS client over what it was (a relay's STARTTLS): SNI
  // `server_name`, and when `verify`, the server's certificate checked
  // against the context's trusted CAs and its name against `server_name`.
  // False with `error` set when the handshake fails (the stream is then
  // unusable) or the stream cannot do TLS as a client.
  virtual asio::awaitable<bool> start_tls_client(asio::ssl::context& context,
                                                 const std::string& server_name, bool verify,
                                                 std::string& error) {
    (void)context, (void)server_name, (void)verify;
    error = "this stream cannot be a TLS client";
    co_return false;
  }
  virtual bool secure() const = 0;
  // Ends the pending read or write (the watchdog's way of enforcing a
  // deadline); later operations may still be attempted.
  virtual void cancel() = 0;
  // Closes for good: a later read or write fails at once.
  virtual void close() = 0;
};

// A stream over an accepted TCP connection.
std::unique_ptr<Stream> make_tcp_stream(tcp::socket socket);

}  // namespace hm::net
