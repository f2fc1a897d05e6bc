#pragma once
// AsyncDirectory: the directory as protocol sessions use it, without blocking
// their event loop.
//
// Lookups run on a small pool of worker threads; the completion callback is
// called on a worker thread with the result, and the caller moves back to its
// own executor (the Asio adapter in src/net does that with a post). A call
// that waits in the queue longer than the configured timeout completes with a
// kTemporary error instead of running, so a slow or dead backend turns into
// SMTP 451 / IMAP NO [UNAVAILABLE] quickly rather than piling up sessions.
//
// Thread-safe. The destructor stops the workers; calls still queued complete
// with kTemporary.
//
// With `resolve_inline` (a directory that answers_locally()), resolves run on
// the caller's thread through resolve_now() instead: handing a lookup of a
// few microseconds to a worker and back costs two thread wake-ups, more than
// the lookup. Authentication always goes to the workers: a password hash
// costs milliseconds of CPU by design.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "directory/authenticator.h"
#include "directory/resolver.h"

namespace hm::directory {

class AsyncDirectory {
 public:
  template <typename T>
  using Callback = std::function<void(Result<T>)>;

  // resolver and authenticator must outlive this object.
  AsyncDirectory(const Resolver& resolver, const Authenticator& authenticator, size_t threads,
                 std::chrono::milliseconds queue_timeout, bool resolve_inline = false);
  ~AsyncDirectory();
  AsyncDirectory(const AsyncDirectory&) = delete;
  AsyncDirectory& operator=(const AsyncDirectory&) = delete;

  void resolve(std::string address, Callback<Resolution> done);
  // Whether callers should use resolve_now() rather than resolve().
  bool resolves_inline() const { return resolve_inline_; }
  // The resolve, on the calling thread.
  Result<Resolution> resolve_now(std::string_view address) const {
    return resolver_.resolve(address);
  }
  // `client` is the client's IP address, for the per-address throttle of
  // Authenticator ("" when there is none).
  void authenticate(std::string login, std::string password, Service service,
                    Callback<Principal> done, std::string client = {});

 private:
  struct Job {
    std::chrono::steady_clock::time_point queued;
    std::function<void()> run;     // does the work and completes
    std::function<void()> expire;  // completes with kTemporary
  };
  void submit(Job job);
  void worker();

  const Resolver& resolver_;
  const Authenticator& authenticator_;
  std::chrono::milliseconds queue_timeout_;
  bool resolve_inline_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace hm::directory
