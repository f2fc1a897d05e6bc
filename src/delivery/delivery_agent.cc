#include "delivery/delivery_agent.h"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include "base/log.h"
#include "store/maildir/maildir_quota.h"
#include "store/maildir/maildir_store.h"

namespace hm::delivery {
namespace {

constexpr std::string_view kWaitingForRelay =
    "451 4.4.0 waiting for the outbound relay (not available in this version)";

// The copy for the mailbox: our two headers, then the message, in the
// store's form (store/stored_message.h: one conversion, one copy).
store::StoredMessage with_delivery_headers(const std::string& sender, const std::string& rcpt,
                                           std::string_view message) {
  return store::StoredMessage::from_wire(
      fmt::format("Return-Path: <{}>\r\nDelivered-To: {}\r\n", sender, rcpt), message);
}

// The last error of a recipient given up on before it was ever tried.
constexpr std::string_view kExpiredUntried =
    "451 4.4.7 delivery time expired before a delivery attempt was possible";

// What a bounce says of each failed recipient.
std::vector<BouncedRecipient> to_bounce(const std::vector<queue::QueuedRecipient*>& failed) {
  std::vector<BouncedRecipient> out;
  out.reserve(failed.size());
  for (const queue::QueuedRecipient* q : failed) {
    out.push_back({q->original, q->address, q->last_error});
  }
  return out;
}

// How a queue entry records a full mailbox: temporary, as Postfix and
// Dovecot say it, so the message waits for the owner to make room.
constexpr std::string_view kMailboxFull = "452 4.2.2 mailbox full";
constexpr std::string_view kLargerThanQuota = "552 5.2.2 message larger than the mailbox's quota";

// "451 4.3.0 ..." / "550 5.1.1 ...": how a queue entry records an error.
std::string smtp_text(const Error& e) {
  return fmt::format("{} {} {}", e.smtp_code(), e.smtp_enhanced_code(), e.message());
}

}  // namespace

DeliveryAgent::DeliveryAgent(DeliveryOptions options, queue::Queue& queue,
                             std::unique_ptr<LocalDelivery> local, SenderResolver resolve_sender)
    : options_(std::move(options)),
      queue_(queue),
      local_(std::move(local)),
      resolve_sender_(std::move(resolve_sender)),
      store_(std::make_unique<store::maildir::MaildirStore>(store::maildir::MaildirStoreOptions{
          options_.virtual_base, options_.hostname, options_.vmail_uid, options_.vmail_gid,
          options_.fsync})) {
  if (!local_) {
    local_ = std::make_unique<UnavailableLocalDelivery>(
        "delivery to local accounts is not available in this process");
  }
}

Result<std::string> DeliveryAgent::maildir_path(const directory::Destination& d) const {
  auto location = store_->virtual_location(d.address, d.mailbox);
  if (!location) return fail(std::move(location).error());
  return std::move(location->path);
}

Status DeliveryAgent::admits(const directory::Resolution& resolution, uint64_t size) const {
  for (const directory::Destination& d : resolution.destinations) {
    if (d.kind != directory::Destination::Kind::kVirtual || d.quota_bytes == 0) continue;
    auto path = maildir_path(d);
    if (!path) continue;  // delivery queues it and says why
    auto usage =
        store::maildir::quota_usage(*path, d.quota_bytes, options_.vmail_uid, options_.vmail_gid);
    if (!usage) continue;
    const auto used = static_cast<uint64_t>(std::max<int64_t>(usage->bytes, 0));
    if (size > d.quota_bytes) {
      return fail(
          ErrorKind::kLimit, "message is larger than the mailbox's quota",
          fmt::format("{} bytes for {} with a quota of {}", size, d.address, d.quota_bytes));
    }
    if (used >= d.quota_bytes || (size > 0 && used + size > d.quota_bytes)) {
      return fail(ErrorKind::kOverQuota, "mailbox full",
                  fmt::format("{} uses {} of its {} bytes", d.address, used, d.quota_bytes));
    }
  }
  return ok();
}

// True when the quota of `d` (at `path`) leaves no room for `size` bytes.
static bool over_quota(const directory::Destination& d, const std::string& path, size_t size,
                       uid_t uid, gid_t gid) {
  if (d.quota_bytes == 0) return false;
  auto usage = store::maildir::quota_usage(path, d.quota_bytes, uid, gid);
  if (!usage) {
    log::warning("quota of {} not known, delivering: {}", d.address, usage.error().describe());
    return false;
  }
  return usage->bytes + static_cast<int64_t>(size) > static_cast<int64_t>(d.quota_bytes);
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
  // A permanent failure: nothing more is tried for it; it is bounced below
  // (or kept in the queue as failed until the bounce can be sent).
  auto failed = [&](const std::string& address, const std::string& original, std::string why) {
    queue::QueuedRecipient q;
    q.address = address;
    q.original = original;
    q.state = queue::QueuedRecipient::State::kFailed;
    q.last_error = std::move(why);
    to_queue.push_back(std::move(q));
  };

  // A mailbox reached twice (the same RCPT given twice, or two aliases that
  // meet) gets the message once, as Postfix does. One resolution has no
  // duplicates already (Resolver), so only several recipients need the set;
  // its views point into `envelope`, which outlives it.
  const bool several = envelope.recipients.size() > 1;
  std::set<std::pair<directory::Destination::Kind, std::string_view>> seen;
  for (const Recipient& r : envelope.recipients) {
    // The stored form, made once per RCPT when needed, for the local
    // deliveries and the Maildirs alike.
    std::optional<store::StoredMessage> copy;
    auto stored = [&]() -> const store::StoredMessage& {
      if (!copy) copy = with_delivery_headers(envelope.sender, r.rcpt, message);
      return *copy;
    };
    std::vector<store::Location> targets;
    std::vector<const directory::Destination*> target_destinations;
    for (const directory::Destination& d : r.resolution.destinations) {
      if (several && !seen.emplace(d.kind, d.address).second) {
        log::info("duplicate destination {} of rcpt={} delivered once", d.address, r.rcpt);
        continue;
      }
      switch (d.kind) {
        case directory::Destination::Kind::kVirtual: {
          auto location = store_->virtual_location(d.address, d.mailbox);
          if (!location) {
            // The directory's mistake, which its administrator can mend:
            // the message waits in the queue meanwhile.
            log::error("{}; message queued", location.error().describe());
            defer(d.address, r.rcpt, "451 4.3.5 the account's mailbox path is refused");
            continue;
          }
          if (d.quota_bytes > 0 && message.size() > d.quota_bytes) {
            // It could never fit: a permanent failure, bounced.
            log::warning("message larger than the quota of {}", d.address);
            failed(d.address, r.rcpt, std::string(kLargerThanQuota));
            ++report.failed;
            if (!report.first_failure) {
              report.first_failure =
                  Error(ErrorKind::kOverQuota, "larger than the mailbox's quota");
            }
            continue;
          }
          if (over_quota(d, location->path, message.size(), options_.vmail_uid,
                         options_.vmail_gid)) {
            log::warning("mailbox of {} is full; message queued", d.address);
            defer(d.address, r.rcpt, std::string(kMailboxFull));
            continue;
          }
          targets.push_back(std::move(*location));
          target_destinations.push_back(&d);
          break;
        }
        case directory::Destination::Kind::kExternal:
          defer(d.address, r.rcpt, std::string(kWaitingForRelay));
          break;
        case directory::Destination::Kind::kLocal: {
          auto done = local_->deliver(d.address, envelope.sender, r.rcpt, stored().text());
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
    auto results = store_->save(stored(), targets);
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i]) {
        ++report.delivered;
        if (target_destinations[i]->quota_bytes > 0) {
          Status counted = store::maildir::record_quota_change(
              targets[i].path, static_cast<int64_t>(copy->size()), 1,
              target_destinations[i]->quota_bytes, options_.vmail_uid, options_.vmail_gid);
          if (!counted) log::warning("quota not updated: {}", counted.error().describe());
        }
        log::info("delivered to={} rcpt={} maildir={} file={}", target_destinations[i]->address,
                  r.rcpt, targets[i].path, *results[i]);
      } else {
        log::warning("delivery to {} failed, queued: {}", target_destinations[i]->address,
                     results[i].error().describe());
        defer(target_destinations[i]->address, r.rcpt, "451 4.3.0 " + results[i].error().message());
      }
    }
  }

  if (report.failed > 0) {
    using State = queue::QueuedRecipient::State;
    std::vector<queue::QueuedRecipient*> failures;
    for (queue::QueuedRecipient& q : to_queue) {
      if (q.state == State::kFailed) failures.push_back(&q);
    }
    auto mark_bounced = [&] {
      for (queue::QueuedRecipient* q : failures) q->bounced = true;
    };
    const bool all_failed = report.delivered == 0 && failures.size() == to_queue.size();
    if (envelope.sender.empty()) {
      log::warning("message from <> failed for {} destination(s); no bounce for the null sender",
                   failures.size());
      mark_bounced();
    } else if (all_failed && envelope.caller_reports_total_failure) {
      mark_bounced();  // the caller's exit status says it; its MTA bounces
    } else {
      std::vector<BouncedRecipient> bounced = to_bounce(failures);
      auto now = std::chrono::system_clock::now();
      Status sent = send_bounce(envelope.sender, now, now, std::move(bounced), message);
      if (sent) {
        mark_bounced();
        report.bounced = static_cast<unsigned>(failures.size());
      } else {
        // Queued as failed below: the queue run tries the bounce again.
        log::warning("bounce to <{}> not sent yet, kept in the queue: {}", envelope.sender,
                     sent.error().describe());
      }
    }
    // Only bounced failures left: nothing for the queue to keep.
    if (!queue::Queue::has_work(to_queue)) return report;
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

Result<directory::Resolution> DeliveryAgent::resolve_recipient(directory::Directory& directory,
                                                               const std::string& address) const {
  if (resolve_sender_) return resolve_sender_(address);
  // An agent without a resolver (tests, tools): the account, or nothing.
  auto account = directory.find_account(address);
  if (!account) return fail(std::move(account).error());
  directory::Resolution r;
  r.address = address;
  if (!account->has_value()) {
    r.hosted = false;  // left for an agent that can resolve it
    return r;
  }
  const directory::Account& a = **account;
  r.destinations.push_back({directory::Destination::Kind::kVirtual, a.address, a.home_directory,
                            a.mailbox, a.quota_bytes});
  return r;
}

DeliveryAgent::Outcome DeliveryAgent::deliver_virtual(const directory::Destination& d,
                                                      const store::StoredMessage& copy) {
  auto location = store_->virtual_location(d.address, d.mailbox);
  if (!location) {
    log::error("{}; kept in the queue", location.error().describe());
    return {Outcome::kLater, "451 4.3.5 the account's mailbox path is refused"};
  }
  if (d.quota_bytes > 0 && copy.size() > d.quota_bytes) {
    return {Outcome::kNever, std::string(kLargerThanQuota)};
  }
  const std::string& path = location->path;
  if (over_quota(d, path, copy.size(), options_.vmail_uid, options_.vmail_gid)) {
    return {Outcome::kLater, std::string(kMailboxFull)};
  }
  auto results = store_->save(copy, {*location});
  if (!results[0]) return {Outcome::kLater, "451 4.3.0 " + results[0].error().message()};
  if (d.quota_bytes > 0) {
    (void)store::maildir::record_quota_change(path, static_cast<int64_t>(copy.size()), 1,
                                              d.quota_bytes, options_.vmail_uid,
                                              options_.vmail_gid);
  }
  return {};
}

Status DeliveryAgent::run_queue(directory::Directory& directory,
                                std::chrono::system_clock::time_point now) {
  auto entries = queue_.list();
  if (!entries) return fail(std::move(entries).error());
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
        store::StoredMessage copy = with_delivery_headers(entry.sender, q.original, *message);
        auto done = local_->deliver(q.address, entry.sender, q.original, copy.text());
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
      // Looked up again as at RCPT time: an account deleted while its mail
      // waited fails at once (550 5.1.1, bounced now, not after 5 days as
      // expired), and a directory outage is an attempt that counts.
      auto resolved = resolve_recipient(directory, q.address);
      if (!resolved) {
        ++q.attempts;
        changed = true;
        q.last_error = smtp_text(resolved.error());
        if (resolved.error().temporary()) {
          q.state = State::kDeferred;
          q.next_attempt = now + queue::Queue::backoff(q.attempts);
          log::info("queue id={} to={} deferred: {}", entry.id, q.address,
                    resolved.error().describe());
        } else {
          q.state = State::kFailed;
          log::warning("queue id={} to={} failed: {}", entry.id, q.address,
                       resolved.error().describe());
        }
        continue;
      }
      if (!resolved->hosted) continue;  // elsewhere: waits for the outbound relay
      if (!message) {
        auto text = queue_.message(entry.id);
        if (!text) return fail(std::move(text).error());
        message = std::move(*text);
      }
      store::StoredMessage copy = with_delivery_headers(entry.sender, q.original, *message);
      ++q.attempts;
      changed = true;
      // Where the address leads now: usually the one account it led to at
      // arrival. Any destination that fails for now keeps the recipient
      // deferred (one that was reached may then get a second copy later).
      Outcome worst;
      for (const directory::Destination& d : resolved->destinations) {
        Outcome o;
        switch (d.kind) {
          case directory::Destination::Kind::kVirtual: o = deliver_virtual(d, copy); break;
          case directory::Destination::Kind::kLocal: {
            auto local = local_->deliver(d.address, entry.sender, q.original, copy.text());
            if (!local) {
              o = {local.error().temporary() ? Outcome::kLater : Outcome::kNever,
                   smtp_text(local.error())};
            }
            break;
          }
          case directory::Destination::Kind::kExternal:
            o = {Outcome::kLater, std::string(kWaitingForRelay)};
            break;
        }
        if (o.kind > worst.kind) worst = std::move(o);
      }
      switch (worst.kind) {
        case Outcome::kDone:
          q.state = State::kDelivered;
          log::info("delivered from queue id={} to={}", entry.id, q.address);
          break;
        case Outcome::kLater:
          q.state = State::kDeferred;
          q.last_error = std::move(worst.text);
          q.next_attempt = now + queue::Queue::backoff(q.attempts);
          break;
        case Outcome::kNever:
          q.state = State::kFailed;
          q.last_error = std::move(worst.text);
          log::error("delivery from queue id={} to={} failed: {}", entry.id, q.address,
                     q.last_error);
          break;
      }
    }

    using State = queue::QueuedRecipient::State;
    if (now - entry.arrived >= queue::Queue::kGiveUpAfter) {
      // Tried for long enough: fail with the last (temporary) error, which
      // the bounce reports as Status 4.4.7, delivery time expired.
      for (queue::QueuedRecipient& q : entry.recipients) {
        if (q.state != State::kPending && q.state != State::kDeferred) continue;
        q.state = State::kFailed;
        if (q.last_error.empty()) q.last_error = std::string(kExpiredUntried);
        changed = true;
        log::warning("queue id={} to={} given up after {} days: {}", entry.id, q.address,
                     queue::Queue::kGiveUpAfter.count() / 24, q.last_error);
      }
    }

    std::vector<queue::QueuedRecipient*> unbounced;
    for (queue::QueuedRecipient& q : entry.recipients) {
      if (q.state == State::kFailed && !q.bounced) unbounced.push_back(&q);
    }
    if (!unbounced.empty() && entry.sender.empty()) {
      log::warning("queue id={} from <>: {} recipient(s) failed; no bounce for the null sender",
                   entry.id, unbounced.size());
      for (queue::QueuedRecipient* q : unbounced) q->bounced = true;
      changed = true;
    } else if (!unbounced.empty() && resolve_sender_) {
      if (!message) {
        auto text = queue_.message(entry.id);
        if (!text) {
          log::warning("queue id={}: cannot read the message for its bounce: {}", entry.id,
                       text.error().describe());
        } else {
          message = std::move(*text);
        }
      }
      if (message) {
        std::vector<BouncedRecipient> failed = to_bounce(unbounced);
        // The bounce is durable (delivered or queued) before the failures
        // are marked bounced; should the update below not happen, the next
        // run sends the bounce again: twice rather than never.
        Status sent = send_bounce(entry.sender, entry.arrived, now, std::move(failed), *message);
        if (sent) {
          for (queue::QueuedRecipient* q : unbounced) q->bounced = true;
          changed = true;
        } else {
          log::warning("queue id={}: bounce to <{}> not sent yet: {}", entry.id, entry.sender,
                       sent.error().describe());
        }
      }
    }
    if (changed) HM_TRY(queue_.update(entry));
  }
  return ok();
}

Status DeliveryAgent::send_bounce(const std::string& sender,
                                  std::chrono::system_clock::time_point arrival,
                                  std::chrono::system_clock::time_point now,
                                  std::vector<BouncedRecipient> failed, std::string_view message) {
  if (!resolve_sender_) {
    return fail(ErrorKind::kTemporary,
                "this process cannot send bounces; the daemon's queue run sends them");
  }
  auto resolution = resolve_sender_(sender);
  if (!resolution) {
    if (resolution.error().temporary()) {
      return fail(std::move(resolution).error().prefix("looking up the bounce's recipient"));
    }
    // Nobody to tell: a sender in our domains that does not exist (forged),
    // or not an address. A bounce of the bounce is never sent.
    log::error("bounce to <{}> dropped: the sender cannot receive mail: {}", sender,
               resolution.error().describe());
    return ok();
  }
  BounceInfo info;
  info.hostname = options_.hostname;
  info.sender = sender;
  info.message_id = fmt::format(
      "{}.{}.{}.bounce@{}",
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count(), ::getpid(),
      bounce_counter_.fetch_add(1, std::memory_order_relaxed) + 1, options_.hostname);
  info.arrival = arrival;
  info.date = now;
  info.recipients = std::move(failed);
  info.original = message;
  const std::string bounce = compose_bounce(info);

  Envelope envelope;  // the null sender: a bounce is never bounced
  envelope.recipients.push_back({resolution->address, std::move(*resolution)});
  auto report = deliver(envelope, bounce);
  if (!report) return fail(std::move(report).error());
  if (report->delivered == 0 && report->queued == 0) {
    log::error("bounce to <{}> could not be delivered and is dropped: {}", sender,
               report->first_failure ? report->first_failure->describe() : "no destination");
    return ok();
  }
  log::info("bounce sent to=<{}> message-id=<{}> failed-recipients={} delivered={} queued={}",
            sender, info.message_id, info.recipients.size(), report->delivered, report->queued);
  return ok();
}

}  // namespace hm::delivery
