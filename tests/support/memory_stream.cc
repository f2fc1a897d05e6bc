#include "memory_stream.h"

namespace hm::test_support {

namespace asio = net::asio;

void MemoryPipe::send(std::string_view bytes) {
  to_server_ += bytes;
  wake();
}

void MemoryPipe::close_input() {
  input_closed_ = true;
  wake();
}

void MemoryPipe::wake() {
  if (waiting_) waiting_->cancel();
}

class MemoryStream final : public net::Stream {
 public:
  explicit MemoryStream(std::shared_ptr<MemoryPipe> pipe) : pipe_(std::move(pipe)) {}
  ~MemoryStream() override { pipe_->waiting_ = nullptr; }

  asio::awaitable<bool> read_some(std::string& into) override {
    for (;;) {
      if (cancelled_ || pipe_->server_closed_) co_return false;
      if (!pipe_->to_server_.empty()) {
        into += pipe_->to_server_;
        pipe_->to_server_.clear();
        co_return true;
      }
      if (pipe_->input_closed_) co_return false;
      asio::steady_timer timer(co_await asio::this_coro::executor,
                               asio::steady_timer::time_point::max());
      pipe_->waiting_ = &timer;
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      pipe_->waiting_ = nullptr;
    }
  }

  asio::awaitable<bool> write(std::string_view data) override {
    if (pipe_->server_closed_) co_return false;
    pipe_->to_client_ += data;
    co_return !cancelled_;
  }

  asio::awaitable<bool> start_tls(net::TlsContext&, std::string& error) override {
    error = "no TLS over a stream in memory";
    co_return false;
  }

  bool secure() const override { return pipe_->secure_; }

  void cancel() override {
    cancelled_ = true;
    pipe_->wake();
  }

  void close() override { pipe_->server_closed_ = true; }

 private:
  std::shared_ptr<MemoryPipe> pipe_;
  bool cancelled_ = false;
};

std::unique_ptr<net::Stream> make_memory_stream(std::shared_ptr<MemoryPipe> pipe) {
  return std::make_unique<MemoryStream>(std::move(pipe));
}

}  // namespace hm::test_support
