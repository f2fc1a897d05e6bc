#include "store/maildir/maildir_quota.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <string_view>
#include <vector>

#include "base/file_system.h"
#include "base/sys_error.h"
#include "base/unique_fd.h"
#include "store/maildir/maildir_delivery.h"

namespace hm::store::maildir {
namespace {

constexpr size_t kRecalculateAbove = 5120;  // bytes, the Maildir++ rule

std::string definition(uint64_t quota_bytes) { return fmt::format("{}S", quota_bytes); }

// The number after ",S=" in a Maildir file name, if there is one.
bool size_from_name(std::string_view name, int64_t& size) {
  size_t at = name.find(",S=");
  if (at == std::string_view::npos) return false;
  std::string_view digits = name.substr(at + 3);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  return ec == std::errc() && end != digits.data();
}

// The messages of one Maildir (new/ and cur/), added to `usage`.
Status count_folder(const std::string& maildir, QuotaUsage& usage) {
  for (const char* sub : {"new", "cur"}) {
    std::string folder = maildir + sub;
    // Never through a link: a folder is counted only where it lies.
    int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR* d = fd >= 0 ? ::fdopendir(fd) : nullptr;
    if (!d) {
      const int err = errno;
      if (fd >= 0) ::close(fd);
      if (err == ENOENT || err == ELOOP || err == ENOTDIR) continue;
      return fail(sys_error(err, "read", folder));
    }
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      if (name.empty() || name.front() == '.') continue;
      int64_t size = 0;
      if (!size_from_name(name, size)) {
        struct stat st {};
        if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!S_ISREG(st.st_mode)) continue;
        size = st.st_size;
      }
      usage.bytes += size;
      ++usage.messages;
    }
    ::closedir(d);
  }
  return ok();
}

// The INBOX and every Maildir++ folder (".Name" folders of the root, never
// through a link): the quota is the account's.
Result<QuotaUsage> count_messages(const std::string& maildir) {
  QuotaUsage usage;
  HM_TRY(count_folder(maildir, usage));
  DIR* d = ::opendir(maildir.c_str());
  if (!d) {
    if (errno == ENOENT) return usage;
    return fail(sys_error(errno, "read", maildir));
  }
  std::vector<std::string> folders;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name.size() < 2 || name.front() != '.' || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
      continue;
    }
    folders.emplace_back(name);
  }
  ::closedir(d);
  for (const std::string& f : folders) HM_TRY(count_folder(maildir + f + "/", usage));
  return usage;
}

// Parses a maildirsize file; false when it must be recalculated.
bool parse(std::string_view text, std::string_view wanted_definition, QuotaUsage& usage) {
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos || text.substr(0, nl) != wanted_definition) return false;
  text.remove_prefix(nl + 1);
  while (!text.empty()) {
    nl = text.find('\n');
    if (nl == std::string_view::npos) return false;  // a line being written: recount
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    size_t space = line.find(' ');
    if (space == std::string_view::npos) return false;
    int64_t bytes = 0, messages = 0;
    auto a = std::from_chars(line.data(), line.data() + space, bytes);
    auto b = std::from_chars(line.data() + space + 1, line.data() + line.size(), messages);
    if (a.ec != std::errc() || b.ec != std::errc()) return false;
    usage.bytes += bytes;
    usage.messages += messages;
  }
  return true;
}

}  // namespace

Result<QuotaUsage> quota_usage(const std::string& maildir, uint64_t quota_bytes, uid_t uid,
                               gid_t gid) {
  const std::string path = maildir + "maildirsize";
  const std::string wanted = definition(quota_bytes);
  {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() >= 0) {
      std::string text(kRecalculateAbove + 1, '\0');
      ssize_t n = ::pread(fd.get(), text.data(), text.size(), 0);
      if (n >= 0 && static_cast<size_t>(n) <= kRecalculateAbove) {
        text.resize(static_cast<size_t>(n));
        QuotaUsage usage;
        if (parse(text, wanted, usage)) return usage;
      }
    } else if (errno != ENOENT) {
      return fail(sys_error(errno, "read", path));
    }
  }
  struct stat st {};
  if (::lstat((maildir + "tmp").c_str(), &st) != 0) {
    if (errno == ENOENT) return QuotaUsage{};  // not created yet: empty
    return fail(sys_error(errno, "look at", maildir));
  }
  auto usage = count_messages(maildir);
  if (!usage) return usage;
  // Write the recount beside it in tmp/ and rename it into place.
  std::string tmp = maildir + "tmp/" + unique_name("maildirsize") + ".maildirsize";
  // maildirsize is a cache that a recount rebuilds (Maildir++), so it is
  // not fsynced. Should anything fail, counting worked; the file waits for
  // next time.
  fs::NewFile how;
  how.fsync = false;
  if (::geteuid() == 0 && uid != static_cast<uid_t>(-1)) {
    how.uid = uid;
    how.gid = gid;
  }
  std::string text = fmt::format("{}\n{} {}\n", wanted, usage->bytes, usage->messages);
  if (!fs::write_new_file(AT_FDCWD, tmp, text, how, tmp)) return usage;
  if (fs::file_system().rename(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), 0) != 0) {
    fs::file_system().unlink(AT_FDCWD, tmp.c_str());
  }
  return usage;
}

Status record_quota_change(const std::string& maildir, int64_t bytes, int64_t messages,
                           uint64_t quota_bytes, uid_t uid, gid_t gid) {
  const std::string path = maildir + "maildirsize";
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      auto counted = quota_usage(maildir, quota_bytes, uid, gid);
      if (!counted) return fail(std::move(counted).error());
      return ok();
    }
    return fail(sys_error(errno, "update", path));
  }
  return fs::write_all(fd.get(), fmt::format("{} {}\n", bytes, messages), path);
}

}  // namespace hm::store::maildir
