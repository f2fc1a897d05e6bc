#include "store/maildir/shared_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <tuple>

#include "base/log.h"

namespace hm::store::maildir {

namespace {

using Key = std::tuple<dev_t, ino_t, uint32_t>;

struct Registry {
  std::mutex mutex;
  std::map<Key, std::weak_ptr<SharedIndex>> open;
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: mailboxes may outlive static destructors
  return *r;
}

}  // namespace

std::shared_ptr<SharedIndex> SharedIndex::acquire(int dir_fd, const std::string& shown,
                                                  uint32_t uid_validity, IndexOptions options) {
  struct stat st {};
  if (::fstat(dir_fd, &st) != 0) return nullptr;
  const Key key{st.st_dev, st.st_ino, uid_validity};
  Registry& r = registry();
  std::shared_ptr<SharedIndex> found;
  {
    std::lock_guard lock(r.mutex);
    std::erase_if(r.open, [](const auto& kv) { return kv.second.expired(); });
    found = r.open[key].lock();
    if (!found) {
      int fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) return nullptr;
      found.reset(new SharedIndex);
      found->folder_.reset(fd);
      // Loaded under the registry's lock: a second opener waits for this
      // load instead of loading the file again.
      found->index_ = MessageIndex::open(fd, shown, uid_validity, options);
      r.open[key] = found;
      return found;
    }
  }
  found->refresh();
  return found;
}

SharedIndex::~SharedIndex() {
  if (!index_) return;
  if (Status s = index_->flush(); !s) {
    log::warning("the index's last values were not written: {}", s.error().describe());
  }
}

std::optional<std::string> SharedIndex::get(uint32_t uid, std::string_view base,
                                            std::string_view key) {
  std::lock_guard lock(mutex_);
  auto v = index_->get(uid, base, key);
  if (!v) return std::nullopt;
  return std::string(*v);
}

void SharedIndex::put(uint32_t uid, std::string_view base, std::string_view key,
                      std::string_view value) {
  std::lock_guard lock(mutex_);
  index_->put(uid, base, key, value);
}

std::optional<FileFacts> SharedIndex::file_facts(uint32_t uid, std::string_view base) {
  std::lock_guard lock(mutex_);
  return index_->file_facts(uid, base);
}

void SharedIndex::put_file_facts(uint32_t uid, std::string_view base, FileFacts facts) {
  std::lock_guard lock(mutex_);
  index_->put_file_facts(uid, base, facts);
}

void SharedIndex::forget(const std::vector<uint32_t>& uids) {
  std::lock_guard lock(mutex_);
  index_->forget(uids);
}

Status SharedIndex::flush() {
  std::lock_guard lock(mutex_);
  return index_->flush();
}

void SharedIndex::refresh() {
  std::lock_guard lock(mutex_);
  // A failed read leaves the index as it was: values are still good.
  (void)index_->refresh();
}

size_t SharedIndex::open_count() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  size_t n = 0;
  for (const auto& [key, weak] : r.open) n += !weak.expired();
  return n;
}

}  // namespace hm::store::maildir
