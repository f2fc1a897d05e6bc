#include "privsep/drop_privileges.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/log.h"
#include "base/unique_fd.h"

namespace hm::privsep {

Result<RunAs> lookup_run_as(const std::string& user, const std::string& group_name) {
  RunAs r;
  r.user = user;
  r.group = group_name;
  const passwd* pw = ::getpwnam(user.c_str());
  if (!pw) {
    return fail(ErrorKind::kNotFound,
                fmt::format("[storage] vmail_user '{}' does not exist; create it (useradd "
                            "--system --home-dir /var/vmail --shell /usr/sbin/nologin {}) or "
                            "name an existing unprivileged user",
                            user, user));
  }
  r.uid = pw->pw_uid;
  const struct group* gr = ::getgrnam(group_name.c_str());
  if (!gr) {
    return fail(ErrorKind::kNotFound,
                fmt::format("[storage] vmail_group '{}' does not exist; create it (groupadd "
                            "--system {}) or name an existing group",
                            group_name, group_name));
  }
  r.gid = gr->gr_gid;
  if (r.uid == 0 || r.gid == 0) {
    return fail(ErrorKind::kPermission,
                fmt::format("[storage] vmail_user/vmail_group '{}:{}' is root; hostmail must run "
                            "as an unprivileged user: create one (e.g. vmail)",
                            user, group_name));
  }
  return r;
}

Status chown_if_root_owned(int dir_fd, const std::string& dir_shown,
                           const std::vector<std::string>& names, const RunAs& run_as) {
  for (const std::string& name : names) {
    const std::string path = dir_shown + "/" + name;
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ENOENT) continue;
      return fail(ErrorKind::kPermission, fmt::format("cannot inspect {}", path), strerror(errno));
    }
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) {
      return fail(ErrorKind::kPermission, fmt::format("cannot inspect {}", path), strerror(errno));
    }
    if (st.st_uid != 0) continue;
    if (S_ISREG(st.st_mode) && st.st_nlink != 1) {
      log::warning(
          "not giving {} to {}: it has {} names (hard links), so it may be another "
          "file of root's",
          path, run_as.user, static_cast<unsigned long>(st.st_nlink));
      continue;
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) continue;  // a link, a device, a FIFO
    if (::fchownat(fd.get(), "", run_as.uid, run_as.gid, AT_EMPTY_PATH) != 0) {
      return fail(ErrorKind::kPermission,
                  fmt::format("cannot give {} to {}:{}", path, run_as.user, run_as.group),
                  strerror(errno));
    }
  }
  return ok();
}

Status drop_privileges(const RunAs& run_as) {
  if (::setgroups(0, nullptr) != 0) {
    return fail(ErrorKind::kInternal, "cannot drop supplementary groups", strerror(errno));
  }
  if (::setgid(run_as.gid) != 0) {
    return fail(ErrorKind::kInternal, fmt::format("cannot switch to group {}", run_as.group),
                strerror(errno));
  }
  if (::setuid(run_as.uid) != 0) {
    return fail(ErrorKind::kInternal, fmt::format("cannot switch to user {}", run_as.user),
                strerror(errno));
  }
  if (::setuid(0) == 0 || ::seteuid(0) == 0 || ::setgid(0) == 0) {
    return fail(ErrorKind::kInternal, "root privileges could be regained after the switch");
  }
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0 ||
      ruid != run_as.uid || euid != run_as.uid || suid != run_as.uid || rgid != run_as.gid ||
      egid != run_as.gid || sgid != run_as.gid || ::getgroups(0, nullptr) != 0) {
    return fail(ErrorKind::kInternal, "the switch to the unprivileged user is incomplete");
  }
  return ok();
}

Status check_writable(const std::vector<std::string>& folders,
                      const std::vector<std::string>& files, const RunAs& run_as) {
  auto refuse = [&](const std::string& path, int err) {
    return fail(ErrorKind::kPermission,
                fmt::format("{} is not writable by {} (uid {}), which hostmail runs as: run "
                            "`chown {}:{} {}` (and check the folders above it can be entered)",
                            path, run_as.user, run_as.uid, run_as.user, run_as.group, path),
                strerror(err));
  };
  for (const std::string& folder : folders) {
    if (::access(folder.c_str(), W_OK | X_OK) != 0) return refuse(folder, errno);
  }
  for (const std::string& file : files) {
    if (::access(file.c_str(), F_OK) != 0 && errno == ENOENT) continue;
    if (::access(file.c_str(), R_OK | W_OK) != 0) return refuse(file, errno);
  }
  return ok();
}

}  // namespace hm::privsep
