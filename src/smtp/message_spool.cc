#include "smtp/message_spool.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "base/sys_error.h"

namespace hm::smtp {

namespace {

// An unnamed file in `folder`, or -1 with errno.
int make_unnamed_file(const std::string& folder) {
  int fd = ::open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
  std::string name = folder + "/spool.XXXXXX";
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd >= 0) ::unlink(name.c_str());
  return fd;
}

}  // namespace

MessageSpool::~MessageSpool() {
  if (mapping_) ::munmap(mapping_, mapped_);
}

Status MessageSpool::append(std::string_view bytes) {
  if (!fd_.valid()) {
    fd_.reset(make_unnamed_file(folder_));
    if (!fd_.valid()) return fail(sys_error(errno, "create spool file in", folder_));
  }
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      fd_.reset();
      return fail(sys_error(err, "write spool file in", folder_));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    size_ += static_cast<size_t>(n);
  }
  return ok();
}

Result<std::string_view> MessageSpool::map() {
  if (!fd_.valid()) return fail(ErrorKind::kInternal, "no spool file to map");
  if (size_ == 0) return std::string_view();
  if (!mapping_) {
    // Every byte was written with write(2), which reserved its blocks, so
    // reading the mapping cannot fault for want of disk space.
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_.get(), 0);
    if (p == MAP_FAILED) return fail(sys_error(errno, "map spool file in", folder_));
    ::madvise(p, size_, MADV_SEQUENTIAL);  // read once, front to back
    mapping_ = p;
    mapped_ = size_;
  }
  return std::string_view(static_cast<const char*>(mapping_), mapped_);
}

}  // namespace hm::smtp
