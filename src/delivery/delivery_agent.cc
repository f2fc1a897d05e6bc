#include "delivery/delivery_agent.h"

#include <fmt/format.h>

#include <optional>

#include "base/log.h"
#include "store/maildir/maildir_delivery.h"

namespace hm::delivery {
namespace {

constexpr std::string_view kWaitingForRelay =
    "451 4.4.0 waiting for the outbound relay (not available in this version)";

// The Maildir copy: our two headers, then the message with Unix line ends,
// the form Courier, Dovecot and mail readers expect in a Maildir file.
std::string with_delivery_headers(const std::string& sender, const std::string& rcpt,
                                  std::string_view message) {
  std::string copy;
  copy.reserve(message.size() + sender.size() + rcpt.size() + 40);
  copy += "Return-Path: <";
  copy += sender;
  copy += ">\nDelivered-To: ";
  copy += rcpt;
  copy += "\n";
  for (size_t start = 0; start < message.size();) {
    size_t crlf = message.find("\r\n", start);
    if (crlf == std::string_view::npos) {
      copy.append(message.substr(start));
      break;
    }
    copy.append(message.substr(start, crlf - start));
    copy += '\n';
    start = crlf + 2;
  }
  return copy;
}

// A mailbox path from the directory must stay inside virtual_base.
bool safe_mailbox(const std::string& mailbox) {
  if (mailbox.empty() || mailbox.front() == '/') return false;
  size_t start = 0;
  while (start <= mailbox.size()) {
    size_t end = mailbox.find('/', start);
    if (end == std::string::npos) end = mailbox.size();
    std::string_view part(mailbox.data() + start, end - start);
    if (part == "..") return false;
    start = end + 1;
  }
  return true;
}

// "451 4.3.0 ..." / "550 5.1.1 ...": how a queue entry records an error.
std::string smtp_text(const Error& e) {
  return fmt::format("{} {} {}", e.smtp_code(), e.smtp_enhanced_code(), e.message());
}

}  // namespace

DeliveryAgent::DeliveryAgent(DeliveryOptions options, queue::Queue& queue,
                             std::unique_ptr<LocalDelivery> local)
    : options_(std::move(options)), queue_(queue), local_(std::move(local)) {
  if (!local_) {
    local_ = std::make_unique<UnavailableLocalDelivery>(
        "delivery to local accounts is not available in this process");
  }
}

std::string DeliveryAgent::maildir_path(const directory::Destination& d) const {
  std::string path = options_.virtual_base;
  if (!path.empty() && path.back() != '/') path += '/';
  path += d.mailbox;
  if (!path.empty() && path.back() != '/') path += '/';
  return path;
}

Result<DeliveryReport> DeliveryAgent::deliver(const Envelope& envelope, std::string_view message) {
  DeliveryReport report;
  std::vector<queue::QueuedRecipient> to_queue;
  auto defer = [&](const std::string& address, const std::string& original, std::string why) {
    queue::QueuedRecipient q;
    q.address = address;
    q.original = original;
    q.state = queue::QueuedRecipient::State::kDeferred;
    q.last_error = std::move(why);
    to_queue.push_back(std::move(q));
  };
  // A permanent failure is kept in the queue as failed, for the bounce
  // that a later version sends; nothing more is tried for it.
  auto failed = [&](const std::string& address, const std::string& original, std::string why) {
    queue::QueuedRecipient q;
    q.address = address;
    q.original = original;
    q.state = queue::QueuedRecipient::State::kFailed;
    q.last_error = std::move(why);
    to_queue.push_back(std::move(q));
  };

  store::maildir::DeliveryOptions maildir_options{options_.hostname, options_.fsync};
  for (const Recipient& r : envelope.recipients) {
    std::optional<std::string> local_copy;  // made once per RCPT, when needed
    std::vector<store::maildir::MaildirTarget> targets;
    std::vector<const directory::Destination*> target_destinations;
    for (const directory::Destination& d : r.resolution.destinations) {
      switch (d.kind) {
        case directory::Destination::Kind::kVirtual:
          if (!safe_mailbox(d.mailbox)) {
            log::error("account {} has an unsafe mailbox path '{}'; message queued", d.address,
                       d.mailbox);
            defer(d.address, r.rcpt, "451 4.3.5 the account's mailbox path is unsafe");
            continue;
          }
          targets.push_back({maildir_path(d), options_.vmail_uid, options_.vmail_gid});
          target_destinations.push_back(&d);
          break;
        case directory::Destination::Kind::kExternal:
          defer(d.address, r.rcpt, std::string(kWaitingForRelay));
          break;
        case directory::Destination::Kind::kLocal: {
          if (!local_copy) local_copy = with_delivery_headers(envelope.sender, r.rcpt, message);
          auto done = local_->deliver(d.address, envelope.sender, r.rcpt, *local_copy);
          if (done) {
            ++report.delivered;
            log::info("delivered to={} rcpt={} local={}", d.address, r.rcpt, *done);
          } else if (done.error().temporary()) {
            log::warning("local delivery to {} deferred: {}", d.address, done.error().describe());
            defer(d.address, r.rcpt, smtp_text(done.error()));
          } else {
            log::error("local delivery to {} failed: {}", d.address, done.error().describe());
            failed(d.address, r.rcpt, smtp_text(done.error()));
            ++report.failed;
            if (!report.first_failure) report.first_failure = done.error();
          }
          break;
        }
      }
    }
    if (targets.empty()) continue;
    std::string copy = with_delivery_headers(envelope.sender, r.rcpt, message);
    auto results = store::maildir::deliver(copy, targets, maildir_options);
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i]) {
        ++report.delivered;
        log::info("delivered to={} rcpt={} maildir={} file={}", target_destinations[i]->address,
                  r.rcpt, targets[i].path, *results[i]);
      } else {
        log::warning("delivery to {} failed, queued: {}", target_destinations[i]->address,
                     results[i].error().describe());
        defer(target_destinations[i]->address, r.rcpt, "451 4.3.0 " + results[i].error().message());
      }
    }
  }

  if (!to_queue.empty() && to_queue.size() == report.failed) {
    // Only permanent failures: the queue keeps nothing without a recipient
    // still to try, so they are in the log alone until bounces exist.
    log::error(
        "message from <{}> failed for every remaining recipient; no bounce is sent by "
        "this version",
        envelope.sender);
    return report;
  }
  if (!to_queue.empty()) {
    auto id = queue_.enqueue(envelope.sender, to_queue, message);
    if (!id) {
      // Some copies may already be in Maildirs; the client retries the whole
      // message, which may duplicate those (at least once, never lost).
      return fail(ErrorKind::kTemporary, "cannot queue the message; try again later",
                  id.error().describe());
    }
    report.queued = static_cast<unsigned>(to_queue.size()) - report.failed;
    report.queue_id = *id;
    log::info("queued id={} recipients={}", *id, to_queue.size());
  }
  return report;
}

Status DeliveryAgent::run_queue(directory::Directory& directory,
                                std::chrono::system_clock::time_point now) {
  auto entries = queue_.list();
  if (!entries) return fail(std::move(entries).error());
  store::maildir::DeliveryOptions maildir_options{options_.hostname, options_.fsync};
  for (queue::QueueEntry& entry : *entries) {
    bool changed = false;
    std::optional<std::string> message;
    for (queue::QueuedRecipient& q : entry.recipients) {
      using State = queue::QueuedRecipient::State;
      if ((q.state != State::kPending && q.state != State::kDeferred) || q.next_attempt > now) {
        continue;
      }
      if (q.address.find('@') == std::string::npos) {
        // A local account: retried through the LocalDelivery.
        if (!message) {
          auto text = queue_.message(entry.id);
          if (!text) return fail(std::move(text).error());
          message = std::move(*text);
        }
        std::string copy = with_delivery_headers(entry.sender, q.original, *message);
        auto done = local_->deliver(q.address, entry.sender, q.original, copy);
        ++q.attempts;
        changed = true;
        if (done) {
          q.state = State::kDelivered;
          log::info("delivered from queue id={} to={} local={}", entry.id, q.address, *done);
        } else if (done.error().temporary()) {
          q.state = State::kDeferred;
          q.last_error = smtp_text(done.error());
          q.next_attempt = now + queue::Queue::backoff(q.attempts);
          log::info("local delivery from queue id={} to={} deferred: {}", entry.id, q.address,
                    done.error().describe());
        } else {
          q.state = State::kFailed;
          q.last_error = smtp_text(done.error());
          log::error("local delivery from queue id={} to={} failed: {}", entry.id, q.address,
                     done.error().describe());
        }
        continue;
      }
      auto account = directory.find_account(q.address);
      if (!account || !account->has_value()) continue;  // external, local, or directory down
      if (!message) {
        auto text = queue_.message(entry.id);
        if (!text) return fail(std::move(text).error());
        message = std::move(*text);
      }
      directory::Destination d{directory::Destination::Kind::kVirtual, q.address,
                               (*account)->home_directory, (*account)->mailbox};
      if (!safe_mailbox(d.mailbox)) continue;
      std::string copy = with_delivery_headers(entry.sender, q.original, *message);
      auto results = store::maildir::deliver(
          copy, {{maildir_path(d), options_.vmail_uid, options_.vmail_gid}}, maildir_options);
      ++q.attempts;
      changed = true;
      if (results[0]) {
        q.state = State::kDelivered;
        log::info("delivered from queue id={} to={}", entry.id, q.address);
      } else {
        q.state = State::kDeferred;
        q.last_error = "451 4.3.0 " + results[0].error().message();
        q.next_attempt = now + queue::Queue::backoff(q.attempts);
      }
    }
    if (changed) HM_TRY(queue_.update(entry));
  }
  return ok();
}

}  // namespace hm::delivery
