#include "app/deliver_command.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "app/wiring.h"
#include "directory/address.h"

namespace hm::app {
namespace {

constexpr int kExitDataErr = 65;
constexpr int kExitNoUser = 67;
constexpr int kExitTempFail = 75;
constexpr int kExitNoPerm = 77;

int failed(int status, const std::string& message) {
  std::fprintf(stderr, "hostmail: %s\n", message.c_str());
  return status;
}

// Messages from a pipe usually have Unix line ends; SMTP's form is CRLF.
std::string to_crlf(const std::string& in) {
  std::string out;
  out.reserve(in.size() + in.size() / 32);
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) out += '\r';
    out += in[i];
  }
  return out;
}

}  // namespace

int deliver(const config::Config& config, const admin::cli::DeliverArguments& args) {
  std::string sender;
  if (!args.sender.empty() && args.sender != "<>") {
    auto s = directory::normalize_address(args.sender);
    if (!s) return failed(kExitDataErr, "--sender: " + s.error().message());
    sender = *s;
  }
  // Local accounts: as root, a forked child becomes the user (this command
  // is single-threaded, so no helper is needed); otherwise only this user.
  std::unique_ptr<delivery::LocalDelivery> local;
  if (config.local.enabled) {
    local = std::make_unique<delivery::DirectLocalDelivery>(local_delivery_settings(config),
                                                            /*allow_switch=*/geteuid() == 0);
  }
  auto mail = build_mail_system(config, std::move(local));
  if (!mail) return failed(kExitTempFail, mail.error().message());
  auto resolution = mail->resolver->resolve(args.recipient);
  if (!resolution) {
    const Error& e = resolution.error();
    int status = e.temporary()                      ? kExitTempFail
                 : e.kind() == ErrorKind::kNotFound ? kExitNoUser
                                                    : kExitDataErr;
    return failed(status, e.message());
  }
  std::string message(std::istreambuf_iterator<char>(std::cin), {});
  if (message.size() > config.limits.message_size) {
    return failed(kExitDataErr, "the message is larger than [limits] message_size");
  }
  delivery::Envelope envelope{sender, {{resolution->address, std::move(*resolution)}}};
  // When every destination fails, the exit status below tells the calling
  // MTA, which bounces; a bounce of ours would be a second one.
  envelope.caller_reports_total_failure = true;
  auto report = mail->agent->deliver(envelope, to_crlf(message));
  if (!report) return failed(kExitTempFail, report.error().message());
  if (report->failed > 0 && report->delivered == 0 && report->queued == 0) {
    const Error& e = *report->first_failure;
    return failed(e.kind() == ErrorKind::kNotFound ? kExitNoUser : kExitNoPerm, e.message());
  }
  return 0;
}

}  // namespace hm::app
