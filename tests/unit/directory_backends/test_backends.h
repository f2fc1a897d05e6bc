#pragma once
// The directory backends the contract tests run over, and a scratch folder
// each test gets. To run the contract over another backend (LDAP against a
// test slapd), add one BackendFactory to directory_backends() in
// test_backends.cc; directory_contract_test.cc needs no change.

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "base/result.h"
#include "directory/directory.h"

namespace hm::directory::testing {

// A fresh folder under the system temporary directory, removed with its
// content when the object goes.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct BackendFactory {
  // Used in test names ("Contract/DirectoryContractTest.AddDomain/sqlite"):
  // letters, digits and '_' only.
  std::string name;
  // Makes an empty directory. scratch is a fresh ScratchDir the backend may
  // keep files in; it outlives the returned object.
  std::function<Result<std::unique_ptr<Directory>>(const std::filesystem::path& scratch)> make;
  // Optional: a non-empty reason makes the tests of this backend skip
  // (a backend that needs a server this machine does not run).
  std::function<std::string()> unavailable;
};

std::vector<BackendFactory> directory_backends();

// EXPECT_TRUE(is_ok(result)) prints the error when there is one.
template <typename T>
::testing::AssertionResult is_ok(const Result<T>& result) {
  if (result) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "unexpected error: " << to_string(result.error().kind())
                                       << ": " << result.error().describe();
}

// Success if result failed with this kind and its message contains every
// fragment (so that tests hold messages to naming what was wrong).
template <typename T>
::testing::AssertionResult is_error(const Result<T>& result, ErrorKind kind,
                                    std::initializer_list<std::string_view> fragments = {}) {
  if (result) {
    return ::testing::AssertionFailure() << "succeeded, expected " << to_string(kind);
  }
  const Error& error = result.error();
  if (error.kind() != kind) {
    return ::testing::AssertionFailure()
           << "failed with " << to_string(error.kind()) << ", expected " << to_string(kind) << ": "
           << error.describe();
  }
  for (std::string_view fragment : fragments) {
    if (error.message().find(fragment) == std::string::npos) {
      return ::testing::AssertionFailure()
             << "message \"" << error.message() << "\" does not contain \"" << fragment << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

inline void PrintTo(const BackendFactory& factory, std::ostream* out) { *out << factory.name; }

}  // namespace hm::directory::testing
