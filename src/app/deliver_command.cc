#include "app/deliver_command.h"

#include "base/sysexits.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <optional>

#include "app/wiring.h"
#include "base/line_ends.h"
#include "directory/address.h"
#include "privsep/drop_privileges.h"
#include "privsep/helper.h"
#include "privsep/privsep_client.h"

namespace hm::app {
namespace {

int failed(int status, const std::string& message) {
  std::fprintf(stderr, "hostmail: %s\n", message.c_str());
  return status;
}

// Waits for the privileged helper, which ends once the client's socket is
// closed (with the mail system, destroyed before this).
struct HelperReaper {
  pid_t pid = -1;
  HelperReaper() = default;
  HelperReaper(const HelperReaper&) = delete;
  HelperReaper& operator=(const HelperReaper&) = delete;
  ~HelperReaper() {
    if (pid > 0) {
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
};

}  // namespace

int deliver(const config::Config& config, const admin::cli::DeliverArguments& args) {
  std::string sender;
  if (!args.sender.empty() && args.sender != "<>") {
    auto s = directory::normalize_address(args.sender);
    if (!s) return failed(sysexits::kDataErr, "--sender: " + s.error().message());
    sender = *s;
  }
  // As root, this command works as `serve` does: the folders it writes
  // (virtual_base, the queue) are vmail's, and a link planted there must not
  // lead root anywhere. So local accounts go to a privileged helper, started
  // now while the process has one thread, and everything else runs as vmail
  // once the directory and the queue are open. Not as root: local delivery
  // only to this user.
  const bool root = geteuid() == 0;
  std::optional<privsep::RunAs> run_as;
  HelperReaper helper_reaper;  // declared before `mail`: outlives the client
  std::unique_ptr<delivery::LocalDelivery> local;
  if (root) {
    auto r = privsep::lookup_run_as(config.storage.vmail_user, config.storage.vmail_group);
    if (!r) return failed(sysexits::kTempFail, r.error().message());
    run_as = *r;
    if (config.local.enabled) {
      auto helper = start_local_helper(config);
      if (!helper) return failed(sysexits::kTempFail, helper.error().message());
      helper_reaper.pid = helper->pid;
      local = std::make_unique<delivery::PrivsepLocalDelivery>(std::move(helper->client));
    }
  } else if (config.local.enabled) {
    local = std::make_unique<delivery::DirectLocalDelivery>(local_delivery_settings(config),
                                                            /*allow_switch=*/false);
  }
  auto mail = build_mail_system(config, std::move(local));
  if (!mail) return failed(sysexits::kTempFail, mail.error().message());
  if (root) {
    Status dropped = privsep::drop_privileges(*run_as);
    if (!dropped) {
      std::fprintf(stderr, "hostmail: %s\n", dropped.error().describe().c_str());
      std::_Exit(sysexits::kOsErr);  // never go on as root
    }
  }
  auto resolution = mail->resolver->resolve(args.recipient);
  if (!resolution) {
    const Error& e = resolution.error();
    int status = e.temporary()                      ? sysexits::kTempFail
                 : e.kind() == ErrorKind::kNotFound ? sysexits::kNoUser
                                                    : sysexits::kDataErr;
    return failed(status, e.message());
  }
  std::string message(std::istreambuf_iterator<char>(std::cin), {});
  if (message.size() > config.limits.message_size) {
    return failed(sysexits::kDataErr, "the message is larger than [limits] message_size");
  }
  delivery::Envelope envelope{sender, {{resolution->address, std::move(*resolution)}}};
  // When every destination fails, the exit status below tells the calling
  // MTA, which bounces; a bounce of ours would be a second one.
  envelope.caller_reports_total_failure = true;
  auto report = mail->agent->deliver(envelope, hm::with_crlf(message));
  if (!report) return failed(sysexits::kTempFail, report.error().message());
  if (report->failed > 0 && report->delivered == 0 && report->queued == 0) {
    const Error& e = *report->first_failure;
    return failed(e.kind() == ErrorKind::kNotFound ? sysexits::kNoUser : sysexits::kNoPerm,
                  e.message());
  }
  return 0;
}

}  // namespace hm::app
