#include "privsep/drop_privileges.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

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

Status chown_if_root_owned(const std::vector<std::string>& paths, const RunAs& run_as) {
  for (const std::string& path : paths) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      return fail(ErrorKind::kPermission, fmt::format("cannot inspect {}", path), strerror(errno));
    }
    if (st.st_uid != 0 || S_ISLNK(st.st_mode)) continue;
    if (::lchown(path.c_str(), run_as.uid, run_as.gid) != 0) {
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
