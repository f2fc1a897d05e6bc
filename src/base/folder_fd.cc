#include "base/folder_fd.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/sys_error.h"

namespace hm {

Result<UniqueFd> open_folder_nofollow(int dir_fd, const std::string& name,
                                      const std::string& shown) {
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) return UniqueFd(fd);
  int err = errno;
  if (err == ELOOP || err == ENOTDIR) {
    struct stat st {};
    bool link =
        ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
    return fail(ErrorKind::kPermission,
                fmt::format("{} is {}: hostmail never follows links in the folders its "
                            "unprivileged user can write; remove it (and find out who made it)",
                            shown, link ? "a symbolic link" : "not a folder"));
  }
  return fail(sys_error(err, "open folder", shown, ErrorKind::kNotFound));
}

Result<std::vector<std::string>> list_folder(int dir_fd, const std::string& shown) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(sys_error(errno, "read the folder", shown));
  DIR* d = ::fdopendir(fd);
  if (!d) {
    int err = errno;
    ::close(fd);
    return fail(sys_error(err, "read the folder", shown));
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return fail(sys_error(err, "read the folder", shown));
  return names;
}

}  // namespace hm
