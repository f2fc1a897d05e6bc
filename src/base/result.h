#pragma once
// hm::Result<T>: a value or an hm::Error. tl::expected today, wrapped so that
// it is [[nodiscard]] (an ignored error fails the build: -Werror), and a
// later move to std::expected (C++23) stays in this one file.

#include <tl/expected.hpp>
#include <utility>

#include "base/error.h"

namespace hm {

template <typename T>
class [[nodiscard]] Result : public tl::expected<T, Error> {
 public:
  using Base = tl::expected<T, Error>;
  using Base::Base;
  Result() = default;
  Result(const Base& other) : Base(other) {}        // NOLINT: implicit, as expected's own
  Result(Base&& other) : Base(std::move(other)) {}  // NOLINT
};

// Result of an operation that yields nothing but success or an Error.
using Status = Result<void>;

inline tl::unexpected<Error> fail(ErrorKind kind, std::string message, std::string detail = {}) {
  return tl::unexpected<Error>(Error(kind, std::move(message), std::move(detail)));
}

inline tl::unexpected<Error> fail(Error error) { return tl::unexpected<Error>(std::move(error)); }

inline Status ok() { return {}; }

}  // namespace hm

// Evaluates a Result-returning expression; returns its error from the
// enclosing function when it failed.
#define HM_TRY(expr)                                                           \
  do {                                                                         \
    auto hm_try_result_ = (expr);                                              \
    if (!hm_try_result_) return ::hm::fail(std::move(hm_try_result_).error()); \
  } while (0)
