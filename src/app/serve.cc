#include "app/serve.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <thread>

#include "app/wiring.h"
#include "base/log.h"
#include "directory/async_directory.h"
#include "directory/authenticator.h"
#include "net/listener.h"
#include "smtp/smtp_server.h"

namespace hm::app {
namespace {

log::Level parse_level(const std::string& level) {
  if (level == "debug") return log::Level::kDebug;
  if (level == "warning") return log::Level::kWarning;
  if (level == "error") return log::Level::kError;
  return log::Level::kInfo;
}

smtp::SmtpSettings smtp_settings(const config::Config& c) {
  smtp::SmtpSettings s;
  s.hostname = c.server.hostname;
  s.max_message_size = c.limits.message_size;
  s.max_recipients = c.limits.recipients;
  s.line_length = c.limits.line_length;
  s.command_timeout = std::chrono::seconds(c.limits.command_timeout_s);
  s.data_timeout = std::chrono::seconds(c.limits.data_timeout_s);
  s.connections_per_ip = c.limits.connections_per_ip;
  s.errors_per_session = c.limits.errors_per_session;
  s.tls_cert = c.tls.cert;
  s.tls_key = c.tls.key;
  return s;
}

// Retries due queue entries every minute, and at once when the queue's
// active/ folder changes (a `hostmail queue retry`, or a newly queued
// message), until told to stop. Watching the folder's mtime costs one stat
// every two seconds and also sees changes made by another process.
class QueueRunner {
 public:
  explicit QueueRunner(MailSystem& mail)
      : mail_(mail), active_(mail.queue->path() + "/active"), thread_([this] { loop(); }) {}
  ~QueueRunner() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  QueueRunner(const QueueRunner&) = delete;
  QueueRunner& operator=(const QueueRunner&) = delete;

 private:
  struct timespec folder_mtime() const {
    struct stat st {};
    if (::stat(active_.c_str(), &st) != 0) return {};
    return st.st_mtim;
  }

  void loop() {
    std::unique_lock lock(mutex_);
    auto last_run = std::chrono::steady_clock::time_point{};
    struct timespec seen {};
    while (!stop_) {
      struct timespec now_mtime = folder_mtime();
      bool changed = now_mtime.tv_sec != seen.tv_sec || now_mtime.tv_nsec != seen.tv_nsec;
      if (changed || std::chrono::steady_clock::now() - last_run > std::chrono::seconds(60)) {
        seen = now_mtime;
        last_run = std::chrono::steady_clock::now();
        lock.unlock();
        Status s = mail_.agent->run_queue(*mail_.directory, std::chrono::system_clock::now());
        if (!s) log::warning("queue run failed: {}", s.error().describe());
        lock.lock();
      }
      wake_.wait_for(lock, std::chrono::seconds(2), [this] { return stop_; });
    }
  }

  MailSystem& mail_;
  std::string active_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace

int serve(const config::Config& config) {
  log::configure(config.log.sink == "syslog" ? log::Sink::kSyslog : log::Sink::kStderr,
                 parse_level(config.log.level));

  // Block the stop signals before any thread starts, so that only sigwait()
  // below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto mail = build_mail_system(config);
  if (!mail) {
    log::error("cannot start: {}", mail.error().describe());
    return 75;  // EX_TEMPFAIL: a supervisor may retry
  }
  auto sockets = net::bind_all(config.listen.smtp);
  if (!sockets) {
    log::error("cannot start: {}", sockets.error().describe());
    return 71;  // EX_OSERR
  }

  directory::Authenticator authenticator(*mail->directory, {});
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  directory::AsyncDirectory async_directory(
      *mail->resolver, authenticator, std::max<size_t>(4, cores * 2), std::chrono::seconds(10));
  smtp::SmtpServer smtp_server(smtp_settings(config), async_directory, *mail->agent);
  Status started = smtp_server.start(std::move(*sockets), cores);
  if (!started) {
    log::error("cannot start: {}", started.error().describe());
    return 78;  // EX_CONFIG
  }
  QueueRunner queue_runner(*mail);
  log::info("hostmail {} serving {} for {} (config {})", "0.1.0", mail->directory->describe(),
            config.server.hostname, config.source_path);

  int signal_number = 0;
  sigwait(&stop, &signal_number);
  log::info("stopping on signal {}", signal_number);
  smtp_server.stop();
  return 0;
}

}  // namespace hm::app
