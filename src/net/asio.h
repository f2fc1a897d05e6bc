#pragma once
// Boost.Asio for the protocol servers. Heavy: include it only from the .cc
// files of servers and sessions, never from a header other code includes.

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>

namespace hm::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Runs a callback-style operation (one that calls `done(value)` on some
// other thread) from a coroutine: resumes on the coroutine's own executor.
template <typename T, typename Start>
asio::awaitable<T> await_callback(Start start) {
  auto executor = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
      [executor, &start](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto guard = asio::make_work_guard(executor);
        start([shared, executor, guard](T value) mutable {
          asio::post(executor, [shared, value = std::move(value)]() mutable {
            std::move (*shared)(std::move(value));
          });
        });
      },
      asio::use_awaitable);
}

}  // namespace hm::net
