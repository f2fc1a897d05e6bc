#pragma once
// A throwaway local (shell) account with a home and a password, made with
// the shadow tools for one test and removed again. Needs root.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <utility>

namespace hm::testing {

inline int run_shell(const std::string& command) {
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The shadow tools refuse to run while another one holds /etc/passwd's lock
// (tests run in parallel under ctest), so try again a while. `done_already`
// is the exit code that means an earlier try got through.
inline int run_account_tool(const std::string& command, int done_already = -1) {
  int rc = -1;
  for (int attempt = 0; attempt < 50; ++attempt) {
    rc = run_shell(command + " >/dev/null 2>&1");
    if (rc == 0 || (attempt > 0 && rc == done_already)) return 0;
    ::usleep(100 * 1000);
  }
  return rc;
}

class LocalAccount {
 public:
  // `prefix` plus this process's id: tests of one executable may run beside
  // those of another.
  explicit LocalAccount(const std::string& prefix) : name_(prefix + std::to_string(::getpid())) {}
  ~LocalAccount() {
    constexpr int kNoSuchUser = 6;
    if (created_) run_account_tool("userdel -r " + name_, kNoSuchUser);
  }
  LocalAccount(const LocalAccount&) = delete;
  LocalAccount& operator=(const LocalAccount&) = delete;

  // useradd -m (an ordinary user: uid from UID_MIN up), then the password.
  [[nodiscard]] bool create(const std::string& password) {
    constexpr int kUserExists = 9;
    if (run_account_tool("useradd -m -s /bin/sh " + name_, kUserExists) != 0) return false;
    created_ = true;
    return set_password(password);
  }

  // The password has no quote in it; printf keeps it out of the process list.
  [[nodiscard]] bool set_password(const std::string& password) {
    return run_account_tool("printf '%s:%s\\n' " + name_ + " '" + password + "' | chpasswd") == 0;
  }

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  bool created_ = false;
};

}  // namespace hm::testing
