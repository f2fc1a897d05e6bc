#include "store/maildir/maildir_account.h"

#include <fcntl.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/folder_fd.h"
#include "base/strings.h"
#include "base/sys_error.h"
#include "base/unique_fd.h"
#include "store/maildir/file_lock.h"

namespace hm::store::maildir {

namespace {

constexpr std::string_view kSpecialUseMagic = "hostmail-specialuse 1";
constexpr size_t kMaxFileBytes = 1 << 20;

std::string root_of(const MaildirAccount& a) {
  std::string r = a.root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r;
}

// The whole of a small file of the root; "" and exists=false when missing.
Result<std::string> read_small(int root_fd, const std::string& name, const std::string& shown,
                               bool& exists) {
  exists = false;
  auto fd = fs::open_regular(root_fd, name, shown, O_RDONLY);
  if (!fd) {
    if (fd.error().kind() == ErrorKind::kNotFound) return std::string();
    return fail(fd.error());
  }
  exists = true;
  std::string text;
  char buf[8192];
  while (true) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(sys_error(errno, "read", shown));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxFileBytes) return fail(ErrorKind::kLimit, shown + " is too large");
  }
  return text;
}

// Replaces the file `name` of the root by `text`: written beside it under
// a name of its own, fsynced, renamed over it.
Status replace_small(int root_fd, const std::string& name, const std::string& text,
                     const MaildirAccount& account, const std::string& root) {
  const std::string tmp = name + ".hostmail-tmp";
  (void)fs::file_system().unlink(root_fd, tmp.c_str());  // a crashed writer's, under the lock
  fs::NewFile how;
  how.fsync = account.fsync;
  HM_TRY(fs::write_new_file(root_fd, tmp, text, how, root + "/" + tmp));
  if (fs::file_system().rename(root_fd, tmp.c_str(), root_fd, name.c_str(), 0) != 0) {
    Error e = sys_error(errno, "rename", root + "/" + tmp);
    (void)fs::file_system().unlink(root_fd, tmp.c_str());
    return fail(std::move(e));
  }
  if (account.fsync) HM_TRY(fs::sync_folder(root_fd, ".", root));
  return ok();
}

SpecialUse parse_special_use(std::string_view text) {
  SpecialUse out;
  out.exists = true;
  bool first = true;
  for (const std::string& line : split(text, '\n')) {
    if (first) {
      first = false;
      if (line == kSpecialUseMagic) continue;
    }
    std::vector<std::string> words = split(line, ' ');
    if (words.size() < 2 || words[0].size() < 2 || words[0][0] != '.') continue;
    words.erase(std::remove(words.begin(), words.end(), ""), words.end());
    std::vector<std::string> attrs(words.begin() + 1, words.end());
    if (!check_special_use(attrs)) continue;
    out.by_folder[words[0]] = std::move(attrs);
  }
  return out;
}

std::string format_special_use(const SpecialUse& s) {
  std::string out = std::string(kSpecialUseMagic) + "\n";
  for (const auto& [folder, attrs] : s.by_folder) {
    if (attrs.empty()) continue;
    out += folder;
    for (const std::string& a : attrs) out += " " + a;
    out += "\n";
  }
  return out;
}

// Dovecot's newer file starts with "V\t2" and an empty line and separates
// a name's parts with TAB; the older one (and Courier's) has the names as
// the client saw them, parts joined by '.'. Both are read; the older is
// written, which both servers read.
std::vector<std::string> parse_subscriptions(std::string_view text) {
  std::vector<std::string> lines = split(text, '\n');
  std::vector<std::string> out;
  bool v2 = !lines.empty() && lines[0].rfind("V\t", 0) == 0;
  for (size_t i = v2 ? 1 : 0; i < lines.size(); ++i) {
    std::string name = lines[i];
    if (name.empty()) continue;
    if (v2) std::replace(name.begin(), name.end(), '\t', '.');
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

std::string format_subscriptions(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += n + "\n";
  return out;
}

// The account's lock: its file, opened (created once, never removed),
// and the fcntl() lock on it (store/maildir/file_lock.h).
class AccountLock {
 public:
  Status take(int root_fd, const MaildirAccount& account, const std::string& root) {
    int fd = fs::file_system().open(root_fd, kAccountLockName,
                                    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail(sys_error(errno, "open the lock file of", root));
    fd_.reset(fd);
    auto locked = FileLock::take(fd_.get(), account.lock_timeout, root + "/" + kAccountLockName);
    if (!locked) return fail(locked.error());
    lock_.emplace(std::move(*locked));
    return ok();
  }

 private:
  UniqueFd fd_;
  std::optional<FileLock> lock_;  // released before fd_ closes
};

}  // namespace

AsOwner::AsOwner(const MaildirAccount& account) {
  if (::geteuid() != 0 || account.uid == static_cast<uid_t>(-1)) return;
  // setfsgid first: once the fsuid is not root, the thread may still
  // change its fsgid (CAP_SETGID is kept), but the order keeps it simple.
  old_gid_ = ::setfsgid(account.gid == static_cast<gid_t>(-1) ? ::getegid() : account.gid);
  old_uid_ = ::setfsuid(account.uid);
  switched_ = true;
}

AsOwner::~AsOwner() {
  if (!switched_) return;
  ::setfsuid(static_cast<uid_t>(old_uid_));
  ::setfsgid(static_cast<gid_t>(old_gid_));
}

Status check_special_use(const std::vector<std::string>& attributes) {
  static const char* const kKnown[] = {"\\All",  "\\Archive", "\\Drafts", "\\Flagged",
                                       "\\Junk", "\\Sent",    "\\Trash"};
  for (const std::string& a : attributes) {
    bool known = false;
    for (const char* k : kKnown) known = known || iequals(a, k);
    if (!known) {
      return fail(ErrorKind::kInvalid, fmt::format("{} is not a special-use attribute", a));
    }
  }
  return ok();
}

std::string folder_dir_name(const FolderName& name) {
  std::string out;
  for (const std::string& part : name) out += "." + part;
  return out;
}

std::string subscription_name(const FolderName& name) {
  return name.empty() ? std::string("INBOX") : join(name, ".");
}

Result<SpecialUse> read_special_use(const MaildirAccount& account) {
  const std::string r = root_of(account);
  auto root = open_folder_nofollow(AT_FDCWD, r, r);
  if (!root) return fail(root.error());
  bool exists = false;
  auto text = read_small(root->get(), kSpecialUseName, r + "/" + kSpecialUseName, exists);
  if (!text) return fail(text.error());
  if (!exists) return SpecialUse{};
  return parse_special_use(*text);
}

Result<std::vector<std::string>> read_subscriptions(const MaildirAccount& account) {
  const std::string r = root_of(account);
  auto root = open_folder_nofollow(AT_FDCWD, r, r);
  if (!root) return fail(root.error());
  bool exists = false;
  auto text = read_small(root->get(), kSubscriptionsName, r + "/" + kSubscriptionsName, exists);
  if (!text) return fail(text.error());
  return parse_subscriptions(*text);
}

Status change_account_files(const MaildirAccount& account,
                            const std::function<Status(AccountFiles&)>& change) {
  const std::string r = root_of(account);
  auto root = open_folder_nofollow(AT_FDCWD, r, r);
  if (!root) return fail(root.error());
  AccountLock lock;
  HM_TRY(lock.take(root->get(), account, r));
  AccountFiles files;
  bool su_exists = false, sub_exists = false;
  auto su = read_small(root->get(), kSpecialUseName, r + "/" + kSpecialUseName, su_exists);
  if (!su) return fail(su.error());
  if (su_exists) files.special_use = parse_special_use(*su);
  auto sub = read_small(root->get(), kSubscriptionsName, r + "/" + kSubscriptionsName, sub_exists);
  if (!sub) return fail(sub.error());
  files.subscriptions = parse_subscriptions(*sub);
  const std::string su_before = su_exists ? format_special_use(files.special_use) : "";
  const std::string sub_before = format_subscriptions(files.subscriptions);
  HM_TRY(change(files));
  if (files.special_use.exists) {
    std::string text = format_special_use(files.special_use);
    if (!su_exists || text != su_before) {
      HM_TRY(replace_small(root->get(), kSpecialUseName, text, account, r));
    }
  }
  std::string text = format_subscriptions(files.subscriptions);
  if (text != sub_before || (!sub_exists && !files.subscriptions.empty())) {
    HM_TRY(replace_small(root->get(), kSubscriptionsName, text, account, r));
  }
  return ok();
}

}  // namespace hm::store::maildir
