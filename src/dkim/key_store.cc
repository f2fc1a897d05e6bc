#include "dkim/key_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "base/file_system.h"
#include "base/folder_fd.h"
#include "base/sys_error.h"

namespace hm::dkim {
namespace {

// A PEM RSA key of 4096 bits is about 3.3 KiB; anything much larger is not
// a key, and is not read into memory.
constexpr off_t kMaxKeyFile = 64 * 1024;
constexpr std::string_view kSuffix = ".key";

bool allowed_owner(uid_t uid, const KeyStoreOptions& options) {
  return uid == 0 || uid == ::geteuid() || uid == options.daemon_uid;
}

Error owner_error(const std::string& shown, uid_t uid) {
  return Error(ErrorKind::kPermission,
               fmt::format("{} belongs to uid {}; DKIM keys and their folders must belong to "
                           "root or hostmail's user: run `chown root: {}`",
                           shown, uid, shown));
}

// A folder that others may write lets them put their own key in place of a
// domain's: refused, as its owner is.
Status check_folder(int fd, const std::string& shown, const KeyStoreOptions& options) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(sys_error(errno, "inspect", shown));
  if (!allowed_owner(st.st_uid, options)) return fail(owner_error(shown, st.st_uid));
  if ((st.st_mode & 022) != 0) {
    return fail(ErrorKind::kPermission,
                fmt::format("folder {} may be written by its group or others (mode {:04o}), who "
                            "could put a key of their own there: run `chmod 700 {}`",
                            shown, st.st_mode & 07777, shown));
  }
  return ok();
}

Result<SigningKey> read_key_file(int dir_fd, const std::string& name, const std::string& shown,
                                 const std::string& domain, const std::string& selector,
                                 const KeyStoreOptions& options) {
  auto fd = fs::open_regular(dir_fd, name, shown, O_RDONLY);
  if (!fd) return fail(std::move(fd).error());
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return fail(sys_error(errno, "inspect", shown));
  if (!allowed_owner(st.st_uid, options)) return fail(owner_error(shown, st.st_uid));
  if ((st.st_mode & 077) != 0) {
    return fail(ErrorKind::kPermission,
                fmt::format("DKIM key {} may be read or written by its group or others (mode "
                            "{:04o}); a private key must be secret: run `chmod 600 {}`",
                            shown, st.st_mode & 07777, shown));
  }
  if (st.st_size > kMaxKeyFile) {
    return fail(ErrorKind::kInvalid,
                fmt::format("{} is {} bytes, too large for a DKIM key; make a new one with "
                            "`hostmail dkim keygen`",
                            shown, st.st_size));
  }
  std::string pem(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < pem.size()) {
    ssize_t n = ::read(fd->get(), pem.data() + got, pem.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      OPENSSL_cleanse(pem.data(), pem.size());
      return fail(sys_error(errno, "read", shown));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  pem.resize(got);
  auto key = SigningKey::from_pem(pem, domain, selector, shown);
  OPENSSL_cleanse(pem.data(), pem.size());
  return key;
}

// The keys of one domain folder, by selector.
Result<std::map<std::string, SigningKey>> read_domain_folder(int key_dir_fd,
                                                             const std::string& key_dir,
                                                             const std::string& domain,
                                                             const KeyStoreOptions& options) {
  std::string shown = key_dir + "/" + domain;
  auto fd = open_folder_nofollow(key_dir_fd, domain, shown);
  if (!fd) return fail(std::move(fd).error());
  HM_TRY(check_folder(fd->get(), shown, options));
  auto names = list_folder(fd->get(), shown);
  if (!names) return fail(std::move(names).error());
  std::map<std::string, SigningKey> keys;
  for (const std::string& name : *names) {
    if (!name.ends_with(kSuffix) || name.starts_with('.')) continue;
    std::string selector = name.substr(0, name.size() - kSuffix.size());
    std::string file = shown + "/" + name;
    if (auto s = check_selector(selector); !s) {
      return fail(std::move(s).error().prefix(
          fmt::format("{}: the file name must be <selector>.key", file)));
    }
    auto key = read_key_file(fd->get(), name, file, domain, selector, options);
    if (!key) return fail(std::move(key).error());
    keys.emplace(std::move(selector), std::move(*key));
  }
  return keys;
}

}  // namespace

std::string KeyStore::key_path(const std::string& key_dir, std::string_view domain,
                               std::string_view selector) {
  return fmt::format("{}/{}/{}{}", key_dir, domain, selector, kSuffix);
}

Result<KeyStore> KeyStore::open(const std::string& key_dir, const KeyStoreOptions& options) {
  KeyStore store;
  store.selector_ = options.selector;
  auto fd = open_folder_nofollow(AT_FDCWD, key_dir, key_dir);
  if (!fd) {
    if (fd.error().kind() == ErrorKind::kNotFound) return store;  // no keys yet
    return fail(std::move(fd).error());
  }
  HM_TRY(check_folder(fd->get(), key_dir, options));
  auto names = list_folder(fd->get(), key_dir);
  if (!names) return fail(std::move(names).error());
  for (const std::string& name : *names) {
    struct stat st {};
    if (::fstatat(fd->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return fail(sys_error(errno, "inspect", key_dir + "/" + name));
    }
    // Only folders are domains; a link is refused there, by the open below.
    if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) continue;
    if (auto s = check_domain(name); !s) {
      return fail(std::move(s).error().prefix(
          fmt::format("{}/{}: each folder there is named after a domain", key_dir, name)));
    }
    auto keys = read_domain_folder(fd->get(), key_dir, name, options);
    if (!keys) return fail(std::move(keys).error());
    if (!keys->empty()) store.keys_.emplace(name, std::move(*keys));
  }
  return store;
}

const SigningKey* KeyStore::find(std::string_view domain) const {
  auto it = keys_.find(domain);
  if (it == keys_.end()) return nullptr;
  const auto& by_selector = it->second;
  if (auto s = by_selector.find(selector_); s != by_selector.end()) return &s->second;
  if (by_selector.size() == 1) return &by_selector.begin()->second;
  return nullptr;
}

std::string KeyStore::selector_problem(std::string_view domain) const {
  auto it = keys_.find(domain);
  if (it == keys_.end() || find(domain) != nullptr) return {};
  std::string selectors;
  for (const auto& [selector, key] : it->second) {
    selectors += (selectors.empty() ? "" : ", ") + selector;
  }
  return fmt::format(
      "{} has DKIM keys for the selectors {} and none for the configured "
      "selector \"{}\": its mail is not signed; remove the keys no longer "
      "published, or set [dkim] selector",
      domain, selectors, selector_);
}

Result<std::vector<SigningKey>> KeyStore::read_domain(const std::string& key_dir,
                                                      const std::string& domain,
                                                      const KeyStoreOptions& options) {
  HM_TRY(check_domain(domain));
  auto keys = [&]() -> Result<std::map<std::string, SigningKey>> {
    auto fd = open_folder_nofollow(AT_FDCWD, key_dir, key_dir);
    if (!fd) return fail(std::move(fd).error());
    HM_TRY(check_folder(fd->get(), key_dir, options));
    return read_domain_folder(fd->get(), key_dir, domain, options);
  }();
  if (!keys && keys.error().kind() != ErrorKind::kNotFound) return fail(std::move(keys).error());
  if (!keys || keys->empty()) {
    return fail(ErrorKind::kNotFound,
                fmt::format("{} has no DKIM key in {}; make one with `hostmail dkim keygen {}`",
                            domain, key_dir, domain));
  }
  std::vector<SigningKey> out;
  for (auto& [selector, key] : *keys) out.push_back(std::move(key));
  return out;
}

Status KeyStore::write_key(const std::string& key_dir, const SigningKey& key, bool replace,
                           const KeyStoreOptions& options) {
  fs::FileSystem& sys = fs::file_system();
  // mkdir's mode is cut by the umask; each folder made is set to 0700
  // exactly once it is open (never by path, which a link could redirect).
  std::vector<std::string> created;
  HM_TRY(fs::make_folders(key_dir, 0700, created));
  auto dir = open_folder_nofollow(AT_FDCWD, key_dir, key_dir);
  if (!dir) return fail(std::move(dir).error());
  if (!created.empty() && ::fchmod(dir->get(), 0700) != 0) {
    return fail(sys_error(errno, "set the mode of", key_dir));
  }
  HM_TRY(check_folder(dir->get(), key_dir, options));

  const std::string& domain = key.domain();
  std::string domain_dir = key_dir + "/" + domain;
  bool made_domain = sys.mkdir(dir->get(), domain.c_str(), 0700) == 0;
  if (!made_domain && errno != EEXIST) return fail(sys_error(errno, "create", domain_dir));
  auto ddir = open_folder_nofollow(dir->get(), domain, domain_dir);
  if (!ddir) return fail(std::move(ddir).error());
  if (made_domain && ::fchmod(ddir->get(), 0700) != 0) {
    return fail(sys_error(errno, "set the mode of", domain_dir));
  }
  HM_TRY(check_folder(ddir->get(), domain_dir, options));

  auto pem = key.to_pem();
  if (!pem) return fail(std::move(pem).error());
  std::string final_name = key.selector() + std::string(kSuffix);
  std::string final_path = domain_dir + "/" + final_name;
  fs::UniqueParts u = fs::unique_parts();
  std::string tmp_name =
      fmt::format("{}{}.tmp-{}-{}-{:x}", key.selector(), kSuffix, u.pid, u.counter, u.random);
  std::string tmp_path = domain_dir + "/" + tmp_name;

  // 1. The key under a temporary name, created exclusively (no link
  // followed, nothing overwritten), 0600 whatever the umask, fsynced.
  Status written = [&]() -> Status {
    UniqueFd fd(sys.open(ddir->get(), tmp_name.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return fail(sys_error(errno, "create", tmp_path));
    if (::fchmod(fd.get(), 0600) != 0) return fail(sys_error(errno, "set the mode of", tmp_path));
    HM_TRY(fs::write_all(fd.get(), *pem, tmp_path));
    HM_TRY(fs::sync(fd.get(), tmp_path));
    if (fd.close() != 0) return fail(sys_error(errno, "close", tmp_path));
    return ok();
  }();
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!written) {
    (void)sys.unlink(ddir->get(), tmp_name.c_str());
    return written;
  }

  // 2. Its real name: link() fails when a key is there (one winner, and the
  // old key untouched); rename() replaces it in one step.
  if (replace) {
    if (sys.rename(ddir->get(), tmp_name.c_str(), ddir->get(), final_name.c_str(), 0) != 0) {
      Error e = sys_error(errno, "rename to", final_path);
      (void)sys.unlink(ddir->get(), tmp_name.c_str());
      return fail(std::move(e));
    }
  } else {
    int rc = sys.link(ddir->get(), tmp_name.c_str(), ddir->get(), final_name.c_str());
    int err = errno;
    (void)sys.unlink(ddir->get(), tmp_name.c_str());
    if (rc != 0 && err == EEXIST) {
      return fail(ErrorKind::kExists,
                  fmt::format("{} exists: {} has a key for selector \"{}\" already; choose "
                              "another --selector, or replace it with --force (its published "
                              "record then no longer matches until you publish the new one)",
                              final_path, domain, key.selector()));
    }
    if (rc != 0) return fail(sys_error(err, "create", final_path));
  }
  // 3. The names durable: the key's folder, and the key folder when the
  // domain's folder is new in it.
  HM_TRY(fs::sync(ddir->get(), domain_dir));
  if (made_domain) HM_TRY(fs::sync(dir->get(), key_dir));
  return ok();
}

}  // namespace hm::dkim
