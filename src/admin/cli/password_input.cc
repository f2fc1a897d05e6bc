#include "admin/cli/password_input.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "base/unique_fd.h"

namespace hm::admin::cli {
namespace {

// Restores the terminal's echo however the prompt ends.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd_, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = tcsetattr(fd_, TCSANOW, &quiet) == 0;
    }
  }
  ~EchoOff() {
    if (active_) tcsetattr(fd_, TCSANOW, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

std::string strip_newline(std::string line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

Result<std::string> ask(int fd, std::string_view prompt) {
  std::string line;
  {
    // Echo goes off before the prompt appears, so that nothing typed after
    // seeing it is ever shown.
    EchoOff quiet(fd);
    if (write(fd, prompt.data(), prompt.size()) < 0) {
      return fail(ErrorKind::kInternal, "cannot write to the terminal");
    }
    char c;
    while (read(fd, &c, 1) == 1 && c != '\n') line += c;
  }
  if (write(fd, "\n", 1) < 0) return fail(ErrorKind::kInternal, "cannot write to the terminal");
  return strip_newline(line);
}

}  // namespace

bool stdin_is_terminal() { return isatty(STDIN_FILENO) == 1; }

Result<std::string> read_password(PasswordSource source, std::string_view prompt) {
  if (source == PasswordSource::kStdin) {
    std::string line;
    if (!std::getline(std::cin, line) && line.empty()) {
      return fail(ErrorKind::kInvalid, "no password on standard input");
    }
    line = strip_newline(line);
    if (line.empty()) return fail(ErrorKind::kInvalid, "the password on standard input is empty");
    return line;
  }
  UniqueFd tty(open("/dev/tty", O_RDWR | O_CLOEXEC));
  if (tty.get() < 0) {
    return fail(ErrorKind::kInvalid,
                "no terminal to ask for the password; pipe it in with --password-stdin");
  }
  auto first = ask(tty.get(), prompt);
  if (!first) return first;
  if (first->empty()) return fail(ErrorKind::kInvalid, "the password is empty");
  auto second = ask(tty.get(), "Again: ");
  if (!second) return second;
  if (*first != *second) return fail(ErrorKind::kInvalid, "the two passwords differ; try again");
  return first;
}

}  // namespace hm::admin::cli
