#include "privsep/local_user.h"

#include "base/sysexits.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <thread>

#include "base/unique_fd.h"
#include "privsep/protocol.h"
#include "store/maildir/maildir_store.h"

namespace hm::privsep {
namespace {

constexpr size_t kMaxOutput = 4096;

// Ids for the child, gathered before fork so that the child calls nothing
// but system calls.
struct Ids {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

Result<Ids> ids_for(const LocalUser& user) {
  Ids ids;
  ids.uid = user.uid;
  ids.gid = user.gid;
  if (::geteuid() == user.uid) return ids;
  if (::geteuid() != 0) {
    return fail(ErrorKind::kTemporary,
                fmt::format("cannot deliver to local user {}: hostmail runs as uid {}, not as "
                            "root, and only delivers to its own user's mailbox; start it as root",
                            user.name, ::geteuid()),
                "no privileged helper");
  }
  ids.switch_user = true;
  int n = 64;
  for (int attempt = 0; attempt < 4; ++attempt) {
    ids.groups.resize(static_cast<size_t>(n));
    int count = n;
    if (::getgrouplist(user.name.c_str(), user.gid, ids.groups.data(), &count) >= 0) {
      ids.groups.resize(static_cast<size_t>(count));
      return ids;
    }
    n = count > n ? count : n * 2;
  }
  ids.groups = {user.gid};
  return ids;
}

// In the child: become the user for good. Only system calls; returns false
// when any step failed or root could be regained.
bool become(const Ids& ids) {
  if (!ids.switch_user) return true;
  if (::setgroups(ids.groups.size(), ids.groups.data()) != 0) return false;
  if (::setgid(ids.gid) != 0) return false;
  if (::setuid(ids.uid) != 0) return false;
  if (ids.uid != 0 && ::setuid(0) == 0) return false;
  return ::getuid() == ids.uid && ::geteuid() == ids.uid && ::getegid() == ids.gid;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

Result<std::string> read_message(int fd) {
  std::string out;
  char buf[65536];
  off_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof buf, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return fail(ErrorKind::kTemporary, "cannot read the message to deliver", strerror(errno));
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    offset += n;
  }
}

Result<std::string> maildir_delivery(const LocalUser& user, int fd,
                                     const LocalDeliverySettings& settings) {
  auto text = read_message(fd);
  if (!text) return fail(std::move(text).error());
  // Only the helper's child, already the user, or a daemon that is the user
  // itself gets here: what it creates belongs to the process's user.
  store::maildir::MaildirStore store(
      {{}, settings.hostname, static_cast<uid_t>(-1), static_cast<gid_t>(-1), settings.fsync});
  auto location = store.local_location(user.home);
  if (!location) return fail(ErrorKind::kTemporary, location.error().message());
  const std::string& path = location->path;
  // The daemon made the copy in the store's form (StoredMessage::from_wire).
  auto results = store.save(store::StoredMessage::from_stored(std::move(*text)), {*location});
  if (results[0]) return std::move(results[0]);
  // Whatever went wrong in the user's own Maildir (permissions, space) is
  // for the administrator or the user to fix: retry, never drop.
  const Error& e = results[0].error();
  return fail(ErrorKind::kTemporary, fmt::format("cannot deliver to {}: {}", path, e.message()),
              e.detail());
}

// Reads what the child reports through `pipe_fd` until EOF, then reaps it.
Result<std::string> collect_child(pid_t pid, int pipe_fd, std::chrono::seconds timeout,
                                  std::string& output, int& wait_status) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{pipe_fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000)));
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(pipe_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child (and whatever it started) closed its end
    if (output.size() < kMaxOutput) {
      output.append(buf, std::min(static_cast<size_t>(n), kMaxOutput - output.size()));
    }
  }
  // The pipe may close before the child exits; give it the time that is left.
  for (;;) {
    pid_t w = ::waitpid(pid, &wait_status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      return fail(ErrorKind::kTemporary, "lost the delivery process", strerror(errno));
    }
    if (timed_out || std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);  // its process group: the command and its children
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
      }
      return fail(
          ErrorKind::kTemporary,
          fmt::format("the local delivery took longer than {} s and was stopped", timeout.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return std::string();
}

Result<std::string> maildir_in_child(const LocalUser& user, const Ids& ids, int fd,
                                     const LocalDeliverySettings& settings) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(ErrorKind::kTemporary, "cannot create a pipe for local delivery", strerror(errno));
  }
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) {
    return fail(ErrorKind::kTemporary, "cannot fork for local delivery", strerror(errno));
  }
  if (pid == 0) {
    read_end.reset();
    Response response;
    if (!become(ids)) {
      response = Response::failure(Error(ErrorKind::kTemporary,
                                         fmt::format("cannot switch to user {}", user.name),
                                         strerror(errno)));
    } else {
      auto r = maildir_delivery(user, fd, settings);
      response = r ? Response::success(*r) : Response::failure(r.error());
    }
    write_all(write_end.get(), encode_response(response));
    ::_exit(0);
  }
  write_end.reset();
  std::string reply;
  int status = 0;
  auto collected = collect_child(pid, read_end.get(), settings.command_timeout, reply, status);
  if (!collected) return fail(std::move(collected).error());
  auto decoded = decode_response(reply);
  if (!decoded) {
    return fail(ErrorKind::kTemporary,
                fmt::format("the delivery process for {} ended without an answer", user.name),
                fmt::format("wait status {}", status));
  }
  return decoded->to_result();
}

Result<std::string> run_command(const LocalUser& user, const Ids& ids, const LocalMessage& message,
                                const LocalDeliverySettings& settings) {
  std::vector<std::string> args = split_command(settings.mailbox_command);
  if (args.empty() || args[0].front() != '/') {
    return fail(ErrorKind::kTemporary,
                "[local] mailbox_command must start with an absolute program path",
                settings.mailbox_command);
  }
  std::vector<std::string> env = {
      "SENDER=" + message.sender,
      "RECIPIENT=" + message.recipient,
      "HOME=" + user.home,
      "USER=" + user.name,
      "LOGNAME=" + user.name,
      "SHELL=" + (user.shell.empty() ? std::string("/bin/sh") : user.shell),
      "PATH=/usr/bin:/bin",
  };
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return fail(ErrorKind::kTemporary, "cannot create a pipe for the mailbox command",
                strerror(errno));
  }
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  if (::lseek(message.fd, 0, SEEK_SET) != 0) {
    return fail(ErrorKind::kTemporary, "cannot rewind the message", strerror(errno));
  }
  const char* home = user.home.c_str();
  pid_t pid = ::fork();
  if (pid < 0) {
    return fail(ErrorKind::kTemporary, "cannot fork for the mailbox command", strerror(errno));
  }
  if (pid == 0) {
    // Async-signal-safe calls only: the parent may be multi-threaded.
    ::setsid();
    if (!become(ids)) ::_exit(sysexits::kOsErr);
    if (::chdir(home) != 0) ::_exit(sysexits::kTempFail);
    if (::dup2(message.fd, 0) < 0 || ::dup2(write_end.get(), 1) < 0 ||
        ::dup2(write_end.get(), 2) < 0) {
      ::_exit(sysexits::kOsErr);
    }
    ::close_range(3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::execve(argv[0], argv.data(), envp.data());
    static const char kExecFailed[] = "cannot execute the mailbox command\n";
    [[maybe_unused]] ssize_t ignored = ::write(2, kExecFailed, sizeof kExecFailed - 1);
    ::_exit(sysexits::kOsErr);
  }
  write_end.reset();
  std::string output;
  int status = 0;
  auto collected = collect_child(pid, read_end.get(), settings.command_timeout, output, status);
  if (!collected) return fail(std::move(collected).error());
  HM_TRY(map_command_status(status, settings.mailbox_command, output));
  return args[0];
}

}  // namespace

std::vector<std::string> split_command(std::string_view command) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < command.size()) {
    while (i < command.size() && (command[i] == ' ' || command[i] == '\t')) ++i;
    size_t start = i;
    while (i < command.size() && command[i] != ' ' && command[i] != '\t') ++i;
    if (i > start) out.emplace_back(command.substr(start, i - start));
  }
  return out;
}

Status map_command_status(int wait_status, std::string_view command, std::string_view output) {
  // The message may reach the sender in a bounce: the command's path and
  // its whole output stay in the detail, which only the log shows.
  auto detail = [&] { return fmt::format("command {}; output: {}", command, output); };
  std::string said;
  if (!output.empty()) {
    std::string_view first = output.substr(0, output.find('\n'));
    if (first.size() > 200) first = first.substr(0, 200);
    said = fmt::format(": {}", first);
  }
  if (WIFSIGNALED(wait_status)) {
    return fail(ErrorKind::kTemporary,
                fmt::format("the mailbox command was killed by signal {}; will retry",
                            WTERMSIG(wait_status)),
                detail());
  }
  if (!WIFEXITED(wait_status)) {
    return fail(ErrorKind::kTemporary, "the mailbox command ended abnormally; will retry",
                detail());
  }
  int code = WEXITSTATUS(wait_status);
  if (code == 0) return ok();
  std::string name(sysexits::name(code));
  std::string exit_text = name.empty() ? fmt::format("exit status {}", code)
                                       : fmt::format("exit status {} ({})", code, name);
  ErrorKind kind = ErrorKind::kTemporary;
  switch (code) {
    case sysexits::kNoUser: kind = ErrorKind::kNotFound; break;
    case sysexits::kNoPerm: kind = ErrorKind::kPermission; break;
    case sysexits::kDataErr:
    case sysexits::kNoHost: kind = ErrorKind::kInvalid; break;
    default: break;
  }
  if (kind == ErrorKind::kTemporary) {
    return fail(kind,
                fmt::format("the mailbox command failed with {}{}; will retry", exit_text, said),
                detail());
  }
  return fail(kind,
              fmt::format("the mailbox command refused the message with {}{}", exit_text, said),
              detail());
}

Result<LocalUser> lookup_local_user(std::string_view name) {
  if (name.empty() || name.size() > 256 || name.front() == '-' ||
      name.find_first_of(std::string_view("/:\0\n ", 5)) != std::string_view::npos) {
    return fail(ErrorKind::kInvalid, fmt::format("'{}' is not a local user name", name));
  }
  std::string n(name);
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buf(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd pw{};
  passwd* found = nullptr;
  int err;
  while ((err = ::getpwnam_r(n.c_str(), &pw, buf.data(), buf.size(), &found)) == ERANGE &&
         buf.size() < (1u << 20)) {
    buf.resize(buf.size() * 2);
  }
  if (err != 0 && err != ENOENT && err != ESRCH) {
    return fail(ErrorKind::kTemporary, fmt::format("cannot look up local user {}", name),
                strerror(err));
  }
  if (!found) {
    return fail(ErrorKind::kNotFound, fmt::format("there is no local user {}", name));
  }
  if (pw.pw_uid == 0) {
    return fail(ErrorKind::kPermission,
                fmt::format("refusing to deliver to local user {}: it has uid 0, and hostmail "
                            "never delivers as root; point an alias for {} at a normal user",
                            name, name));
  }
  LocalUser user;
  user.name = pw.pw_name;
  user.uid = pw.pw_uid;
  user.gid = pw.pw_gid;
  user.home = pw.pw_dir ? pw.pw_dir : "";
  user.shell = pw.pw_shell ? pw.pw_shell : "";
  if (user.home.empty() || user.home.front() != '/') {
    return fail(ErrorKind::kTemporary,
                fmt::format("local user {} has no absolute home directory", name));
  }
  return user;
}

Result<std::string> deliver_to_local_user(const LocalUser& user, const LocalMessage& message,
                                          const LocalDeliverySettings& settings) {
  if (user.uid == 0) {
    return fail(ErrorKind::kPermission,
                fmt::format("refusing to deliver to {} as root", user.name));
  }
  // The resolver never routes mail here for a system account; this check
  // holds even when a caller (or a compromised daemon) asks anyway.
  if (user.uid < settings.first_valid_uid) {
    return fail(ErrorKind::kPermission,
                fmt::format("refusing to deliver to system account {} (uid {}, below "
                            "first_valid_uid {}); alias it to a person in the aliases file",
                            user.name, user.uid, settings.first_valid_uid));
  }
  auto ids = ids_for(user);
  if (!ids) return fail(std::move(ids).error());
  if (!settings.mailbox_command.empty()) return run_command(user, *ids, message, settings);
  if (!ids->switch_user) return maildir_delivery(user, message.fd, settings);
  return maildir_in_child(user, *ids, message.fd, settings);
}

}  // namespace hm::privsep
