#include "app/serve.h"

#include <pthread.h>
#include <signal.h>

#include "base/log.h"
#include "directory/directory_factory.h"

namespace hm::app {

int serve(const config::Config& config) {
  log::Level level = config.log.level == "debug"     ? log::Level::kDebug
                     : config.log.level == "warning" ? log::Level::kWarning
                     : config.log.level == "error"   ? log::Level::kError
                                                     : log::Level::kInfo;
  log::configure(config.log.sink == "syslog" ? log::Sink::kSyslog : log::Sink::kStderr, level);

  // Block the stop signals before any thread starts, so that only sigwait()
  // below receives them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  auto directory = directory::open_directory(config);
  if (!directory) {
    log::error("cannot open the directory: {}", directory.error().describe());
    return 75;  // EX_TEMPFAIL: a supervisor may retry
  }
  log::info("hostmail {} serving {} for {} (config {})", "0.1.0", (*directory)->describe(),
            config.server.hostname, config.source_path);
  // The protocol listeners ([listen] smtp, imap, pop3, ...) come with the
  // SMTP, IMAP and POP3 work; until then the daemon holds the directory open
  // and waits.
  log::warning("this build has no protocol listeners yet: nothing is served on [listen] ports");

  int signal_number = 0;
  sigwait(&stop, &signal_number);
  log::info("stopping on signal {}", signal_number);
  return 0;
}

}  // namespace hm::app
