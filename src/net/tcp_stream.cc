#include <vector>

#include "net/stream.h"
#include "net/tls.h"

namespace hm::net {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kTlsReadChunk = 16 * 1024;  // one TLS record at most

class TcpStream final : public Stream {
 public:
  explicit TcpStream(tcp::socket socket) : socket_(std::move(socket)) {
    // read_some() reads without blocking once the socket says it is readable.
    boost::system::error_code ignored;
    socket_.non_blocking(true, ignored);
  }

  asio::awaitable<bool> read_some(std::string& into) override {
    boost::system::error_code ec;
    size_t n = 0;
    if (tls_) {
      tls_buffer_.resize(kTlsReadChunk);
      std::tie(ec, n) = co_await tls_->async_read_some(asio::buffer(tls_buffer_),
                                                       asio::as_tuple(asio::use_awaitable));
      if (ec || cancelled_) co_return false;
      into.append(tls_buffer_.data(), n);
      co_return true;
    }
    // Plain TCP: wait until readable, then read into this thread's buffer
    // and copy out at once. Streams on one thread never interleave between
    // the read and the copy, so one buffer per thread serves them all; a
    // buffer in the coroutine frame would be allocated and freed with every
    // read.
    thread_local std::vector<char> buffer(kReadChunk);
    for (;;) {
      n = socket_.read_some(asio::buffer(buffer), ec);
      if (ec != asio::error::would_block) break;
      std::tie(ec) =
          co_await socket_.async_wait(tcp::socket::wait_read, asio::as_tuple(asio::use_awaitable));
      if (ec || cancelled_) co_return false;
    }
    if (ec || cancelled_) co_return false;
    into.append(buffer.data(), n);
    co_return true;
  }

  asio::awaitable<bool> write(std::string_view data) override {
    boost::system::error_code ec;
    if (tls_) {
      std::tie(ec, std::ignore) = co_await asio::async_write(*tls_, asio::buffer(data),
                                                             asio::as_tuple(asio::use_awaitable));
    } else {
      std::tie(ec, std::ignore) = co_await asio::async_write(socket_, asio::buffer(data),
                                                             asio::as_tuple(asio::use_awaitable));
    }
    co_return !ec && !cancelled_;
  }

  asio::awaitable<bool> start_tls(TlsContext& tls, std::string& error) override {
    if (tls_) {
      error = "TLS is already active";
      co_return false;
    }
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, tls.native());
    auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::server,
                                               asio::as_tuple(asio::use_awaitable));
    if (ec || cancelled_) {
      error = ec ? ec.message() : "timed out";
      co_return false;
    }
    secure_ = true;
    co_return true;
  }

  asio::awaitable<bool> start_tls_client(asio::ssl::context& context,
                                         const std::string& server_name, bool verify,
                                         std::string& error) override {
    if (tls_) {
      error = "TLS is already active";
      co_return false;
    }
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, context);
    // SNI, for servers with a certificate per name.
    SSL_set_tlsext_host_name(tls_->native_handle(), server_name.c_str());
    if (verify) {
      tls_->set_verify_mode(asio::ssl::verify_peer);
      tls_->set_verify_callback(asio::ssl::host_name_verification(server_name));
    } else {
      tls_->set_verify_mode(asio::ssl::verify_none);
    }
    auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client,
                                               asio::as_tuple(asio::use_awaitable));
    if (ec || cancelled_) {
      error = ec ? ec.message() : "timed out";
      co_return false;
    }
    secure_ = true;
    co_return true;
  }

  bool secure() const override { return secure_; }

  void cancel() override {
    cancelled_ = true;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
  }

  void close() override {
    boost::system::error_code ignored;
    socket_.close(ignored);  // sends the FIN; a shutdown() first would only add a system call
  }

 private:
  tcp::socket socket_;
  // Made at the handshake only: an SSL object and its 34 KB of buffers for
  // every connection would cost more than most sessions' whole conversation.
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  std::vector<char> tls_buffer_;  // what TLS reads decrypt into
  bool secure_ = false;
  bool cancelled_ = false;
};

}  // namespace

std::unique_ptr<Stream> make_tcp_stream(tcp::socket socket) {
  return std::make_unique<TcpStream>(std::move(socket));
}

}  // namespace hm::net
