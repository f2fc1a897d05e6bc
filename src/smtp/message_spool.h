#pragma once
// Where a large message waits while it arrives: an unnamed file, so that a
// session holds at most a small buffer of it in memory however large the
// message is, and mapped read-only at the end to hand the bytes to delivery
// (DeliveryAgent::deliver takes a view), whose Maildir and queue files are
// the durable copies. The file is made with O_TMPFILE in the given folder
// (the queue's tmp/, on the same file system as the queue): it has no name,
// so a crash leaves nothing behind. Where the file system cannot make such
// a file, a named one is made and unlinked at once (a crash in between
// leaves a file that the queue's start-up sweep of tmp/ removes).
//
// The caller keeps small messages in memory and calls append() with what
// has accumulated past its threshold: every append is one write(2).
// Not thread-safe; one spool per message.

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/unique_fd.h"

namespace hm::smtp {

class MessageSpool {
 public:
  explicit MessageSpool(std::string folder) : folder_(std::move(folder)) {}
  ~MessageSpool();
  MessageSpool(const MessageSpool&) = delete;
  MessageSpool& operator=(const MessageSpool&) = delete;

  bool open() const { return fd_.valid(); }
  size_t size() const { return size_; }

  // Appends `bytes` to the file (made at the first call). kTemporary on a
  // full disk or another I/O error; the spool is then unusable.
  Status append(std::string_view bytes);
  // The whole file, mapped read-only; valid until the spool goes.
  Result<std::string_view> map();

 private:
  std::string folder_;
  UniqueFd fd_;
  size_t size_ = 0;
  void* mapping_ = nullptr;
  size_t mapped_ = 0;
};

}  // namespace hm::smtp
