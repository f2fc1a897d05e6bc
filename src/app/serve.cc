#include "app/serve.h"

#include "base/sysexits.h"

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <optional>
#include <thread>

#include "app/wiring.h"
#include "base/folder_fd.h"
#include "base/log.h"
#include "base/paths.h"
#include "base/sys_error.h"
#include "base/unique_fd.h"
#include "directory/async_directory.h"
#include "directory/authenticator.h"
#include "directory/home_directory.h"
#include "imap/session/account_opener.h"
#include "imap/session/imap_service.h"
#include "net/listener.h"
#include "net/server.h"
#include "net/tls_context.h"
#include "privsep/drop_privileges.h"
#include "privsep/helper.h"
#include "privsep/privsep_client.h"
#include "smtp/smtp_service.h"
#include "store/maildir/maildir_store.h"

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
  s.data_min_rate = c.limits.data_min_rate;
  s.connections_per_ip = c.limits.connections_per_ip;
  s.max_sessions = c.limits.max_sessions;
  s.errors_per_session = c.limits.errors_per_session;
  return s;
}

imap::ImapSettings imap_settings(const config::Config& c) {
  imap::ImapSettings s;
  const config::ImapConfig& i = c.imap;
  s.hostname = c.server.hostname;
  s.namespace_style = i.namespace_style == "courier" ? imap::NamespaceStyle::kCourier
                                                     : imap::NamespaceStyle::kDovecot;
  s.plaintext_login = i.login_on_plaintext == "always"  ? imap::PlaintextLogin::kAlways
                      : i.login_on_plaintext == "never" ? imap::PlaintextLogin::kNever
                                                        : imap::PlaintextLogin::kLoopback;
  s.idle_timeout = std::chrono::seconds(i.idle_timeout_s);
  s.line_length = i.line_length;
  s.append_limit = i.append_limit;
  s.literal_min_rate = c.limits.data_min_rate;
  s.max_sessions = i.max_sessions;
  s.connections_per_ip = i.connections_per_ip;
  s.errors_per_session = i.errors_per_session;
  return s;
}

// Runs the queue (DeliveryAgent::run_queue: only the entries its schedule
// says are due are read) every minute, and at once when the queue's active/
// folder changes (a `hostmail queue retry`, or a message queued by this or
// another process), until told to stop. Watching the folder's mtime costs
// one stat every two seconds; a change also makes that run scan the folder
// (one stat per envelope, reading only new or changed ones), as the runner
// itself does at least every DeliveryAgent::kRescanEvery.
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
        if (changed) mail_.agent->queue_changed();
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

// The nearest folder of `path` that exists (virtual_base may be created on
// first delivery).
std::string existing_folder(std::string path) {
  while (access(path.c_str(), F_OK) != 0 && path != "/" && path != ".") path = parent_of(path);
  return path;
}

// Gives to vmail the files and folders hostmail itself creates, which a
// command run as root (`hostmail account add`, `hostmail deliver`, a first
// start) may have left owned by root: the SQLite database and its
// companions, the queue folder and its entries. See
// privsep/drop_privileges.h for why only these. Runs as root in folders that
// vmail can write: everything below the configured folders is reached
// through descriptors opened without following links.
Status give_own_files(const config::Config& config, const privsep::RunAs& run_as) {
  auto open_configured = [](const std::string& folder) -> Result<UniqueFd> {
    // A configured folder is the administrator's choice, link or not.
    UniqueFd fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return fail(sys_error(errno, "open folder", folder));
    return fd;
  };
  if (config.directory.backend == "sqlite") {
    const std::string& db = config.directory.sqlite.path;
    const std::string folder = parent_of(db);
    const std::string name = db.substr(db.find_last_of('/') + 1);
    auto dir = open_configured(folder);
    if (!dir) return fail(std::move(dir).error());
    HM_TRY(privsep::chown_if_root_owned(
        dir->get(), folder, {name, name + "-wal", name + "-shm", name + "-journal"}, run_as));
  }
  const std::string& state = config.storage.state_dir;
  auto state_fd = open_configured(state);
  if (!state_fd) return fail(std::move(state_fd).error());
  HM_TRY(privsep::chown_if_root_owned(state_fd->get(), state, {"queue"}, run_as));
  const std::string queue = state + "/queue";
  auto queue_fd = open_folder_nofollow(state_fd->get(), "queue", queue);
  if (!queue_fd) return fail(std::move(queue_fd).error());
  HM_TRY(privsep::chown_if_root_owned(queue_fd->get(), queue, {"tmp", "active"}, run_as));
  for (const char* sub : {"tmp", "active"}) {
    const std::string folder = queue + "/" + sub;
    auto fd = open_folder_nofollow(queue_fd->get(), sub, folder);
    if (!fd) return fail(std::move(fd).error());
    auto names = list_folder(fd->get(), folder);
    if (!names) return fail(std::move(names).error());
    HM_TRY(privsep::chown_if_root_owned(fd->get(), folder, *names, run_as));
  }
  return ok();
}

// What the daemon, as vmail, must be able to write.
Status check_after_drop(const config::Config& config, const privsep::RunAs& run_as) {
  std::vector<std::string> folders, files;
  if (config.directory.backend == "sqlite") {
    const std::string& db = config.directory.sqlite.path;
    folders.push_back(parent_of(db));
    files = {db, db + "-wal", db + "-shm"};
  }
  const std::string queue = config.storage.state_dir + "/queue";
  for (const std::string& f :
       {config.storage.state_dir, queue, queue + "/tmp", queue + "/active"}) {
    folders.push_back(f);
  }
  folders.push_back(existing_folder(config.storage.virtual_base));
  return privsep::check_writable(folders, files, run_as);
}

// The privileged helper's process, reaped when serve() returns.
struct HelperGuard {
  pid_t pid = -1;
  ~HelperGuard() {
    if (pid <= 0) return;
    // The helper ends once the daemon's end of its socket is closed (the
    // mail system is gone by now); give a delivery in progress some time.
    for (int i = 0; i < 500; ++i) {
      if (waitpid(pid, nullptr, WNOHANG) != 0) return;
      usleep(10000);
    }
  }
};

// Every session holds a socket, and Debian starts processes with a soft
// limit of 1,024 open files: raise it to the hard limit, so that thousands of
// sessions fit, and say what it is.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur < 4096) {
    log::warning(
        "only {} open files allowed (RLIMIT_NOFILE); each SMTP session needs one: raise the "
        "hard limit (LimitNOFILE= in the systemd unit, or ulimit -Hn)",
        static_cast<unsigned long long>(limit.rlim_cur));
  } else {
    log::info("open files limit {}", static_cast<unsigned long long>(limit.rlim_cur));
  }
}

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
  raise_open_file_limit();
  // Blocks of 1 MiB and more (delivery's copy of a large message) come from
  // mmap and go back to the system when freed. Left to itself, glibc raises
  // that threshold to the largest block freed so far, and then each of the
  // delivery threads' arenas keeps a large message's worth of memory for
  // good: three times the daemon's peak in the large-message benchmark.
  ::mallopt(M_MMAP_THRESHOLD, 1024 * 1024);

  // Started as root: look the vmail user up, start the privileged helper
  // while this process has a single thread, and drop root below once every
  // privileged file and port is open. Otherwise: no helper, no drop, and
  // local delivery only to this process's own user.
  const bool root = geteuid() == 0;
  std::optional<privsep::RunAs> run_as;
  HelperGuard helper_guard;
  privsep::PrivsepClient* privsep_client = nullptr;
  std::unique_ptr<delivery::LocalDelivery> local;
  if (root) {
    auto r = privsep::lookup_run_as(config.storage.vmail_user, config.storage.vmail_group);
    if (!r) {
      log::error("cannot start: {}", r.error().describe());
      return sysexits::kConfig;
    }
    run_as = *r;
    if (config.local.enabled) {
      auto helper = start_local_helper(config);
      if (!helper) {
        log::error("cannot start: {}", helper.error().describe());
        return sysexits::kOsErr;
      }
      helper_guard.pid = helper->pid;
      privsep_client = helper->client.get();
      local = std::make_unique<delivery::PrivsepLocalDelivery>(std::move(helper->client));
      log::info("privileged helper started, pid {}", helper->pid);
    }
  } else if (config.local.enabled) {
    local = std::make_unique<delivery::DirectLocalDelivery>(local_delivery_settings(config),
                                                            /*allow_switch=*/false);
    log::info("not started as root: local mail is delivered only to this user (uid {})", geteuid());
  }

  auto mail = build_mail_system(config, std::move(local), directory::OpenPurpose::kServe);
  if (!mail) {
    log::error("cannot start: {}", mail.error().describe());
    // A link in the queue, a folder root must not work in: retrying will
    // not help, the administrator must look.
    if (mail.error().kind() == ErrorKind::kPermission) return sysexits::kNoPerm;
    return sysexits::kTempFail;  // a supervisor may retry
  }
  auto sockets = net::bind_all(config.listen.smtp);
  if (!sockets) {
    log::error("cannot start: {}", sockets.error().describe());
    return sysexits::kOsErr;
  }
  auto imap_sockets = net::bind_all(config.listen.imap);
  if (!imap_sockets) {
    log::error("cannot start: {}", imap_sockets.error().describe());
    return sysexits::kOsErr;
  }
  // imaps is implicit TLS: without a certificate there is nothing to serve.
  const bool imaps = !config.listen.imaps.empty() && !config.tls.cert.empty();
  if (!config.listen.imaps.empty() && !imaps) {
    log::warning("[listen] imaps is not served: no [tls] cert and key are configured");
  }
  auto imaps_sockets = net::bind_all(imaps ? config.listen.imaps : std::vector<std::string>{});
  if (!imaps_sockets) {
    log::error("cannot start: {}", imaps_sockets.error().describe());
    return sysexits::kOsErr;
  }

  if (root) {
    Status owned = give_own_files(config, *run_as);
    if (!owned) {
      log::error("cannot start: {}", owned.error().describe());
      return sysexits::kNoPerm;
    }
  }

  directory::AuthenticatorOptions auth_options;
  auth_options.local_enabled = config.local.enabled && privsep_client;
  auth_options.first_valid_uid = config.local.first_valid_uid;
  auth_options.credential_cache.ttl = std::chrono::seconds(config.auth.credential_cache_ttl_s);
  auth_options.credential_cache.max_entries =
      config.auth.credential_cache_ttl_s == 0 ? 0 : config.auth.credential_cache_entries;
  if (privsep_client) {
    auth_options.local_check = [privsep_client](std::string_view user, std::string_view password) {
      return privsep_client->pam_check(user, password);
    };
  }
  directory::Authenticator authenticator(*mail->directory, auth_options);
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  directory::AsyncDirectory async_directory(
      *mail->resolver, authenticator, std::max<size_t>(4, cores * 2), std::chrono::seconds(10),
      mail->directory->answers_locally());
  // Certificates are read now, while still root: a key readable only by
  // root works, as with Postfix and Dovecot.
  std::shared_ptr<net::TlsContext> tls;
  if (!config.tls.cert.empty() && !config.tls.key.empty()) {
    auto loaded = net::load_tls_context(config.tls.cert, config.tls.key);
    if (!loaded) {
      log::error("cannot start: {}", loaded.error().describe());
      return sysexits::kConfig;
    }
    tls = std::move(*loaded);
  }
  smtp::SmtpSettings settings = smtp_settings(config);
  // Large messages wait in unnamed files beside the queue (same file system).
  settings.spool_dir = mail->queue->path() + "/tmp";
  // IMAP reads the mail through a store of its own over the same
  // virtual_base (MaildirStore is stateless but for that folder); it
  // outlives the server, whose sessions use it.
  store::maildir::MaildirStoreOptions store_options;
  store_options.virtual_base = config.storage.virtual_base;
  store_options.hostname = config.server.hostname;
  if (run_as) {
    store_options.virtual_uid = run_as->uid;
    store_options.virtual_gid = run_as->gid;
  }
  store::maildir::MaildirStore imap_store(store_options);
  net::Server server;
  server.add(smtp::make_smtp_service(std::move(settings), tls, async_directory, *mail->agent),
             std::move(*sockets));
  if (!imap_sockets->empty()) {
    server.add(imap::make_imap_service(imap_settings(config), tls, async_directory,
                                       imap::make_account_opener(*mail->directory, imap_store)),
               std::move(*imap_sockets));
  }
  if (!imaps_sockets->empty()) {
    server.add(imap::make_imap_service(imap_settings(config), nullptr, async_directory,
                                       imap::make_account_opener(*mail->directory, imap_store)),
               std::move(*imaps_sockets), tls);
  }
  if (root) {
    // The listeners are bound, and the directory, the queue and the TLS
    // files are open: root is no longer needed here. Every thread switches
    // (glibc applies set*id to all threads of the process). Connections are
    // accepted only after this: a delivery that ran while the threads
    // switched would write part of a Maildir as root and the rest as vmail
    // (a client that connected the moment the port was bound got its mail
    // queued on "Permission denied").
    Status dropped = privsep::drop_privileges(*run_as);
    if (!dropped) {
      log::error("cannot start: {}", dropped.error().describe());
      std::_Exit(sysexits::kOsErr);  // never go on as root, not even to clean up
    }
    Status writable = check_after_drop(config, *run_as);
    if (!writable) {
      log::error("cannot start: {}", writable.error().describe());
      return sysexits::kNoPerm;
    }
    log::info("running as {}:{} (uid {}, gid {})", run_as->user, run_as->group, run_as->uid,
              run_as->gid);
  }
  Status started = server.start(cores);
  if (!started) {
    log::error("cannot start: {}", started.error().describe());
    return sysexits::kConfig;
  }
  QueueRunner queue_runner(*mail);
  // Once per start, and off the start-up path: listing a large LDAP
  // directory takes a while (directory/home_directory.h says why it matters).
  std::thread home_check([&mail, &config] {
    auto homes = directory::find_home_mismatches(*mail->directory, config.storage.virtual_base);
    if (!homes) {
      log::warning("could not compare the accounts' homeDirectory with virtual_base: {}",
                   homes.error().describe());
    } else if (homes->count > 0) {
      log::warning("{}", directory::describe(*homes, config.storage.virtual_base));
    }
  });
  log::info("hostmail {} serving {} for {} (config {})", "0.1.0", mail->directory->describe(),
            config.server.hostname, config.source_path);

  int signal_number = 0;
  sigwait(&stop, &signal_number);
  log::info("stopping on signal {}", signal_number);
  server.stop();
  home_check.join();
  return 0;
}

}  // namespace hm::app
