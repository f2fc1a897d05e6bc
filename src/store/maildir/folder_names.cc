#include "store/maildir/folder_names.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/folder_fd.h"
#include "base/log.h"
#include "base/sys_error.h"
#include "base/unique_fd.h"

namespace hm::store::maildir {

namespace {

constexpr size_t kMaxOnDiskName = 255;  // NAME_MAX
constexpr mode_t kDirMode = 0700;
constexpr std::string_view kNewPrefix = "hostmail-newfolder.";
constexpr std::string_view kDeletedPrefix = "hostmail-deleted.";
// How deep a deleted folder's files are removed: a Maildir has two levels;
// anything deeper was put there by hand and is left (and logged).
constexpr int kMaxRemoveDepth = 8;

std::string root_of(std::string_view root) {
  std::string r(root);
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r;
}

// ".A.B" for {"A", "B"}; the name must have been checked.
std::string dir_name(const FolderName& name) {
  std::string out;
  for (const std::string& part : name) out += "." + part;
  return out;
}

std::string unique_suffix() {
  fs::UniqueParts u = fs::unique_parts();
  return fmt::format("{}.{}P{}Q{}R{:016x}", u.seconds, u.micros, u.pid, u.counter, u.random);
}

Status not_inbox(const FolderName& name, std::string_view what) {
  if (name.empty()) {
    return fail(ErrorKind::kInvalid, fmt::format("the INBOX cannot be {}", what));
  }
  return check_folder_name(name);
}

// Splits an on-disk ".A.B" into its parts; empty when it is not a folder
// name that passes the check.
FolderName parse_dir_name(std::string_view entry) {
  if (entry.size() < 2 || entry.front() != '.') return {};
  FolderName name;
  std::string_view rest = entry.substr(1);
  while (true) {
    size_t dot = rest.find('.');
    name.emplace_back(rest.substr(0, dot));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (!check_folder_name(name)) return {};
  return name;
}

// Removes everything in the folder open as `dir_fd`, never following a
// link (a link is removed, not what it points at).
Status remove_contents(int dir_fd, const std::string& shown, int depth) {
  auto names = list_folder(dir_fd, shown);
  if (!names) return fail(names.error());
  for (const std::string& n : *names) {
    struct stat st {};
    if (::fstatat(dir_fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return fail(sys_error(errno, "inspect", shown + "/" + n));
    }
    if (S_ISDIR(st.st_mode)) {
      if (depth >= kMaxRemoveDepth) {
        return fail(ErrorKind::kLimit, shown + "/" + n + " lies too deep to be removed");
      }
      auto sub = open_folder_nofollow(dir_fd, n, shown + "/" + n);
      if (!sub) return fail(sub.error());
      HM_TRY(remove_contents(sub->get(), shown + "/" + n, depth + 1));
      if (fs::file_system().rmdir(dir_fd, n.c_str()) != 0 && errno != ENOENT) {
        return fail(sys_error(errno, "remove", shown + "/" + n));
      }
    } else if (fs::file_system().unlink(dir_fd, n.c_str()) != 0 && errno != ENOENT) {
      return fail(sys_error(errno, "remove", shown + "/" + n));
    }
  }
  return ok();
}

Status remove_tree(int root_fd, const std::string& name, const std::string& shown) {
  auto dir = open_folder_nofollow(root_fd, name, shown);
  if (!dir) return dir.error().kind() == ErrorKind::kNotFound ? ok() : fail(dir.error());
  HM_TRY(remove_contents(dir->get(), shown, 1));
  if (fs::file_system().rmdir(root_fd, name.c_str()) != 0 && errno != ENOENT) {
    return fail(sys_error(errno, "remove", shown));
  }
  return ok();
}

// Renames `from` to `to` in the root, never replacing: RENAME_NOREPLACE,
// and where the file system cannot promise that (NFS: EINVAL) a plain
// rename, which can replace only an empty folder (a folder made by us
// always holds cur/ new/ tmp/, so it is never lost that way).
Status rename_noreplace(int root_fd, const std::string& from, const std::string& to,
                        const std::string& root) {
  int rc = fs::file_system().rename(root_fd, from.c_str(), root_fd, to.c_str(), RENAME_NOREPLACE);
  if (rc != 0 && errno == EINVAL) {
    rc = fs::file_system().rename(root_fd, from.c_str(), root_fd, to.c_str(), 0);
  }
  if (rc == 0) return ok();
  if (errno == EEXIST || errno == ENOTEMPTY) {
    return fail(ErrorKind::kExists, fmt::format("{}/{} exists already", root, to));
  }
  return fail(sys_error(errno, "rename", root + "/" + from, ErrorKind::kNotFound));
}

Status sync_root(int root_fd, const std::string& root, const FolderChange& how) {
  if (!how.fsync) return ok();
  return fs::sync_folder(root_fd, ".", root);
}

}  // namespace

Status check_folder_name(const FolderName& name) {
  auto refuse = [&](std::string_view why) {
    return fail(ErrorKind::kInvalid, fmt::format("the folder name is refused: {}", why));
  };
  if (name.size() > kMaxFolderDepth) return refuse("it has too many levels");
  size_t on_disk = 0;
  for (const std::string& part : name) {
    if (part.empty()) return refuse("a level of it is empty");
    if (part.size() > kMaxFolderPartBytes) return refuse("a level of it is too long");
    if (part.front() == '~') return refuse("a level of it starts with '~'");
    for (char c : part) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '.') return refuse("it holds a '.' (the separator of folders on disk)");
      if (c == '/') return refuse("it holds a '/'");
      if (u < 0x20 || u == 0x7f) return refuse("it holds a control character");
    }
    on_disk += 1 + part.size();
  }
  if (on_disk > kMaxOnDiskName) return refuse("it is too long");
  return ok();
}

Result<std::string> folder_path(std::string_view root, const FolderName& name) {
  HM_TRY(check_folder_name(name));
  std::string path = root_of(root) + "/";
  if (!name.empty()) path += dir_name(name) + "/";
  return path;
}

Result<std::vector<FolderName>> list_folders(std::string_view root) {
  const std::string r = root_of(root);
  auto root_fd = open_folder_nofollow(AT_FDCWD, r, r);  // its last part not followed either
  if (!root_fd) return fail(root_fd.error());
  auto entries = list_folder(root_fd->get(), r);
  if (!entries) return fail(entries.error());
  std::vector<FolderName> out;
  for (const std::string& e : *entries) {
    FolderName name = parse_dir_name(e);
    if (name.empty()) continue;
    struct stat st {};
    if (::fstatat(root_fd->get(), e.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(st.st_mode)) {
      continue;  // gone meanwhile, or a link or a file: not a folder of ours
    }
    out.push_back(std::move(name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status create_folder(std::string_view root, const FolderName& name, FolderChange how) {
  HM_TRY(not_inbox(name, "created"));
  const std::string r = root_of(root);
  auto root_fd = open_folder_nofollow(AT_FDCWD, r, r);
  if (!root_fd) return fail(root_fd.error());
  const std::string target = dir_name(name);
  struct stat st {};
  if (::fstatat(root_fd->get(), target.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    return fail(ErrorKind::kExists, fmt::format("{}/{} exists already", r, target));
  }

  // Built under a name of its own, never listed, then renamed into place:
  // readers and a crash see the folder whole or not at all.
  const std::string building = std::string(kNewPrefix) + unique_suffix();
  const std::string shown = r + "/" + building;
  if (fs::file_system().mkdir(root_fd->get(), building.c_str(), kDirMode) != 0) {
    return fail(sys_error(errno, "create folder", shown));
  }
  auto discard = [&](Error e) {
    if (Status s = remove_tree(root_fd->get(), building, shown); !s) {
      log::warning("cannot remove {} again: {}", shown, s.error().describe());
    }
    return fail(std::move(e));
  };
  auto dir = open_folder_nofollow(root_fd->get(), building, shown);
  if (!dir) return discard(dir.error());
  for (const char* sub : {"cur", "new", "tmp"}) {
    if (fs::file_system().mkdir(dir->get(), sub, kDirMode) != 0) {
      return discard(sys_error(errno, "create folder", shown + "/" + sub));
    }
  }
  fs::NewFile marker;
  marker.fsync = how.fsync;
  if (Status s =
          fs::write_new_file(dir->get(), kFolderMarker, "", marker, shown + "/" + kFolderMarker);
      !s) {
    return discard(s.error());
  }
  // The folder's own entries must be durable before its name appears.
  if (how.fsync) {
    if (Status s = fs::sync_folder(dir->get(), ".", shown); !s) return discard(s.error());
  }
  if (Status s = rename_noreplace(root_fd->get(), building, target, r); !s) {
    return discard(s.error());
  }
  return sync_root(root_fd->get(), r, how);
}

Status delete_folder(std::string_view root, const FolderName& name, FolderChange how) {
  HM_TRY(not_inbox(name, "deleted"));
  const std::string r = root_of(root);
  auto root_fd = open_folder_nofollow(AT_FDCWD, r, r);
  if (!root_fd) return fail(root_fd.error());
  const std::string target = dir_name(name);
  // Must be a folder, not a link that someone put in the root.
  auto check = open_folder_nofollow(root_fd->get(), target, r + "/" + target);
  if (!check) return fail(check.error());

  // Out of sight first, in one rename (readers never see a half-deleted
  // folder), durably; then its files go.
  const std::string doomed = std::string(kDeletedPrefix) + unique_suffix();
  if (fs::file_system().rename(root_fd->get(), target.c_str(), root_fd->get(), doomed.c_str(), 0) !=
      0) {
    return fail(sys_error(errno, "rename", r + "/" + target, ErrorKind::kNotFound));
  }
  HM_TRY(sync_root(root_fd->get(), r, how));
  // From here the folder is deleted for every reader; what cannot be
  // removed now is a leftover that the next delete sweeps.
  if (Status s = remove_tree(root_fd->get(), doomed, r + "/" + doomed); !s) {
    log::warning("the deleted folder {}/{} is left as {}: {}", r, target, doomed,
                 s.error().describe());
  }
  // What earlier deletes or creates left when they crashed.
  if (auto entries = list_folder(root_fd->get(), r)) {
    for (const std::string& e : *entries) {
      if (e.rfind(kDeletedPrefix, 0) == 0 || e.rfind(kNewPrefix, 0) == 0) {
        if (Status s = remove_tree(root_fd->get(), e, r + "/" + e); !s) {
          log::warning("cannot remove the leftover {}/{}: {}", r, e, s.error().describe());
        }
      }
    }
  }
  return sync_root(root_fd->get(), r, how);
}

Status rename_folder(std::string_view root, const FolderName& from, const FolderName& to,
                     FolderChange how) {
  HM_TRY(not_inbox(from, "renamed here (the IMAP layer moves its messages instead)"));
  HM_TRY(not_inbox(to, "a rename's target"));
  if (to.size() >= from.size() && std::equal(from.begin(), from.end(), to.begin())) {
    return fail(ErrorKind::kInvalid, "a folder cannot be renamed into itself");
  }
  const std::string r = root_of(root);
  auto root_fd = open_folder_nofollow(AT_FDCWD, r, r);
  if (!root_fd) return fail(root_fd.error());
  auto check = open_folder_nofollow(root_fd->get(), dir_name(from), r + "/" + dir_name(from));
  if (!check) return fail(check.error());

  // The folder and its subfolders, each with its new name, all checked
  // before the first rename.
  auto all = list_folders(r);
  if (!all) return fail(all.error());
  std::vector<std::pair<FolderName, FolderName>> moves{{from, to}};
  for (const FolderName& f : *all) {
    if (f.size() <= from.size() || !std::equal(from.begin(), from.end(), f.begin())) continue;
    FolderName renamed = to;
    renamed.insert(renamed.end(), f.begin() + static_cast<std::ptrdiff_t>(from.size()), f.end());
    HM_TRY(check_folder_name(renamed));
    moves.emplace_back(f, std::move(renamed));
  }
  // Every new name free before the first rename, so that a taken one does
  // not leave the hierarchy half moved (another process may still take one
  // meanwhile: then the renames up to it stay done, each folder whole).
  for (const auto& [old_name, new_name] : moves) {
    struct stat st {};
    const std::string target = dir_name(new_name);
    if (::fstatat(root_fd->get(), target.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      return fail(ErrorKind::kExists, fmt::format("{}/{} exists already", r, target));
    }
  }
  for (const auto& [old_name, new_name] : moves) {
    HM_TRY(rename_noreplace(root_fd->get(), dir_name(old_name), dir_name(new_name), r));
  }
  return sync_root(root_fd->get(), r, how);
}

}  // namespace hm::store::maildir
