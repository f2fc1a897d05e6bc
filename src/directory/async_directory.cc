#include "directory/async_directory.h"

namespace hm::directory {
namespace {

Error busy() {
  return Error(ErrorKind::kTemporary, "the directory is busy; try again later",
               "request waited too long in the directory queue");
}

}  // namespace

AsyncDirectory::AsyncDirectory(const Resolver& resolver, const Authenticator& authenticator,
                               size_t threads, std::chrono::milliseconds queue_timeout,
                               bool resolve_inline)
    : resolver_(resolver),
      authenticator_(authenticator),
      queue_timeout_(queue_timeout),
      resolve_inline_(resolve_inline) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { worker(); });
}

AsyncDirectory::~AsyncDirectory() {
  std::deque<Job> left;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    left.swap(jobs_);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
  for (Job& job : left) job.expire();
}

void AsyncDirectory::submit(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      jobs_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  job.expire();
}

void AsyncDirectory::worker() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    if (std::chrono::steady_clock::now() - job.queued > queue_timeout_) {
      job.expire();
    } else {
      job.run();
    }
  }
}

void AsyncDirectory::resolve(std::string address, Callback<Resolution> done) {
  auto shared_done = std::make_shared<Callback<Resolution>>(std::move(done));
  submit({std::chrono::steady_clock::now(),
          [this, address = std::move(address), shared_done] {
            (*shared_done)(resolver_.resolve(address));
          },
          [shared_done] { (*shared_done)(fail(busy())); }});
}

void AsyncDirectory::authenticate(std::string login, std::string password, Service service,
                                  Callback<Principal> done, std::string client) {
  auto shared_done = std::make_shared<Callback<Principal>>(std::move(done));
  submit({std::chrono::steady_clock::now(),
          [this, login = std::move(login), password = std::move(password), service,
           client = std::move(client), shared_done] {
            (*shared_done)(authenticator_.authenticate(login, password, service, client));
          },
          [shared_done] { (*shared_done)(fail(busy())); }});
}

}  // namespace hm::directory
