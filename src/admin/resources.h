#pragma once
// What AdminService administers: the directory and the queue (and the store,
// through the rule that names new mailboxes).
//
// Each is asked for only when an operation needs it, so that the CLI opens
// what a command uses and nothing else: `hostmail queue list` works while
// the LDAP server is down, and `hostmail domain add`, run as root, does not
// create the queue's folders. A daemon (the web administration) hands out
// what it already has open.
//
// Thread-safety: the implementation's; the daemon's must be thread-safe.

#include "base/result.h"
#include "directory/directory.h"
#include "queue/queue.h"

namespace hm::admin {

class Resources {
 public:
  virtual ~Resources() = default;
  // The opened directory, or why it cannot be opened. The pointer stays
  // valid as long as this object.
  virtual Result<directory::Directory*> directory() = 0;
  // The opened queue, likewise.
  virtual Result<queue::Queue*> queue() = 0;
};

// Resources already open (a daemon's, and tests'). A null queue is reported
// as not configured.
class OpenResources final : public Resources {
 public:
  explicit OpenResources(directory::Directory& directory, queue::Queue* queue = nullptr)
      : directory_(directory), queue_(queue) {}
  Result<directory::Directory*> directory() override { return &directory_; }
  Result<queue::Queue*> queue() override {
    if (queue_ == nullptr) return fail(ErrorKind::kInvalid, "no queue here");
    return queue_;
  }

 private:
  directory::Directory& directory_;
  queue::Queue* queue_;
};

}  // namespace hm::admin
