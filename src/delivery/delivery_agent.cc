#include "delivery/delivery_agent.h"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include "base/log.h"
#include "directory/address.h"
#include "queue/queue_format.h"
#include "smtp/proto/error_status.h"
#include "store/maildir/maildir_quota.h"
#include "store/maildir/maildir_store.h"

namespace hm::delivery {
namespace {

using smtp::proto::status_line;

// What the queue records of each condition; the statuses are the one
// table's (smtp/proto/error_status.h), which RCPT replies and bounces share.
const std::string kWaitingForRelay =
    status_line(smtp::proto::kWaitingForRelay,
                "waiting for the outbound relay (not available in this version)");
const std::string kExpiredUntried = status_line(
    smtp::proto::kDeliveryExpired, "delivery time expired before a delivery attempt was possible");
const std::string kPathRefused =
    status_line(smtp::proto::kMailboxPathRefused, "the account's mailbox path is refused");
// A full mailbox is temporary, as Postfix and Dovecot say it, so the message
// waits for the owner to make room; one larger than the whole quota never fits.
const std::string kMailboxFull = status_line(smtp::proto::kMailboxFullForNow, "mailbox full");
const Error kLargerThanQuota(ErrorKind::kOverQuota, "message larger than the mailbox's quota");

// Whether delivery tries `e` again later (deferred) or gives up (failed,
// bounced): the class of its status in the table, so that what the queue
// does agrees with the status it records.
bool transient(const Error& e) { return smtp::proto::status_of(e).transient(); }

// The copy for the mailbox: our two headers, then the message, in the
// store's form (store/stored_message.h: one conversion, one copy).
store::StoredMessage with_delivery_headers(const std::string& sender, const std::string& rcpt,
                                           std::string_view message) {
  return store::StoredMessage::from_wire(
      fmt::format("Return-Path: <{}>\r\nDelivered-To: {}\r\n", sender, rcpt), message);
}

// What a bounce says of each failed recipient.
std::vector<BouncedRecipient> to_bounce(const std::vector<queue::QueuedRecipient*>& failed) {
  std::vector<BouncedRecipient> out;
  out.reserve(failed.size());
  for (const queue::QueuedRecipient* q : failed) {
    out.push_back({q->original, q->address, q->last_error});
  }
  return out;
}

// The route a destination is queued with: the transport that retries it.
queue::Route route_of(const directory::Destination& d) {
  switch (d.kind) {
    case directory::Destination::Kind::kVirtual: return {queue::Route::Kind::kVirtual, {}};
    case directory::Destination::Kind::kLocal: return {queue::Route::Kind::kLocal, {}};
    case directory::Destination::Kind::kExternal:
      // By the recipient's domain; an explicit relay host is the relay
      // transport's setting, recorded here once it exists.
      return {queue::Route::Kind::kRemote, std::string(directory::domain_of(d.address))};
  }
  return {};
}

}  // namespace

// The local transport: a shell account, through the LocalDelivery.
class DeliveryAgent::LocalTransport : public Transport {
 public:
  explicit LocalTransport(DeliveryAgent& agent) : agent_(agent) {}
  std::vector<TransportOutcome> deliver(
      const QueuedMessage& message, const std::vector<const queue::QueuedRecipient*>& recipients,
      const TransportContext&) override {
    std::vector<TransportOutcome> out;
    for (const queue::QueuedRecipient* q : recipients) {
      auto text = message.text();
      if (!text) {
        out.push_back({TransportOutcome::kLater, status_line(text.error()), {}});
        continue;
      }
      store::StoredMessage copy = with_delivery_headers(message.sender, q->original, *text);
      auto done = agent_.local_->deliver(q->address, message.sender, q->original, copy.text());
      if (done) {
        log::info("delivered from queue id={} to={} local={}", message.id, q->address, *done);
        out.push_back({});
      } else if (transient(done.error())) {
        log::info("local delivery from queue id={} to={} deferred: {}", message.id, q->address,
                  done.error().describe());
        out.push_back({TransportOutcome::kLater, status_line(done.error()), {}});
      } else {
        log::error("local delivery from queue id={} to={} failed: {}", message.id, q->address,
                   done.error().describe());
        out.push_back({TransportOutcome::kNever, status_line(done.error()), {}});
      }
    }
    return out;
  }

 private:
  DeliveryAgent& agent_;
};

// The virtual transport: a hosted address, looked up again as at RCPT time
// (an account deleted while its mail waited fails at once with 5.1.1, a
// directory outage is an attempt that counts), then delivered wherever it
// leads now: usually the one account it led to at arrival. Any destination
// that fails for now keeps the recipient deferred (one that was reached may
// then get a second copy later). An address that is not hosted (any more,
// or from a version 1 envelope, which did not say) goes to the remote
// transport.
class DeliveryAgent::VirtualTransport : public Transport {
 public:
  explicit VirtualTransport(DeliveryAgent& agent) : agent_(agent) {}
  std::vector<TransportOutcome> deliver(
      const QueuedMessage& message, const std::vector<const queue::QueuedRecipient*>& recipients,
      const TransportContext& context) override {
    std::vector<TransportOutcome> out;
    out.reserve(recipients.size());
    for (const queue::QueuedRecipient* q : recipients) out.push_back(one(message, *q, context));
    return out;
  }

 private:
  TransportOutcome one(const QueuedMessage& message, const queue::QueuedRecipient& q,
                       const TransportContext& context) {
    auto resolved = agent_.resolve_recipient(context.directory, q.address);
    if (!resolved) {
      if (transient(resolved.error())) {
        log::info("queue id={} to={} deferred: {}", message.id, q.address,
                  resolved.error().describe());
        return {TransportOutcome::kLater, status_line(resolved.error()), {}};
      }
      log::warning("queue id={} to={} failed: {}", message.id, q.address,
                   resolved.error().describe());
      return {TransportOutcome::kNever, status_line(resolved.error()), {}};
    }
    if (!resolved->hosted) {
      // Without the resolver, "no account" may still be an alias: left for
      // an agent that has one (the daemon's).
      if (!agent_.resolve_sender_) return {TransportOutcome::kSkipped, {}, {}};
      return {TransportOutcome::kRerouted,
              {},
              {queue::Route::Kind::kRemote, std::string(directory::domain_of(q.address))}};
    }
    auto text = message.text();
    if (!text) return {TransportOutcome::kLater, status_line(text.error()), {}};
    store::StoredMessage copy = with_delivery_headers(message.sender, q.original, *text);
    TransportOutcome worst;  // the outcome kinds are ordered: the worst wins
    for (const directory::Destination& d : resolved->destinations) {
      TransportOutcome o;
      switch (d.kind) {
        case directory::Destination::Kind::kVirtual: o = agent_.deliver_virtual(d, copy); break;
        case directory::Destination::Kind::kLocal: {
          auto local = agent_.local_->deliver(d.address, message.sender, q.original, copy.text());
          if (!local) {
            o = {transient(local.error()) ? TransportOutcome::kLater : TransportOutcome::kNever,
                 status_line(local.error()),
                 {}};
          }
          break;
        }
        case directory::Destination::Kind::kExternal:
          // An alias that now leads elsewhere: one recipient, one outcome,
          // so it waits as a whole.
          o = {TransportOutcome::kLater, kWaitingForRelay, {}};
          break;
      }
      if (o.kind > worst.kind) worst = std::move(o);
    }
    if (worst.kind == TransportOutcome::kDone) {
      log::info("delivered from queue id={} to={}", message.id, q.address);
    } else if (worst.kind == TransportOutcome::kNever) {
      log::error("delivery from queue id={} to={} failed: {}", message.id, q.address, worst.text);
    }
    return worst;
  }

  DeliveryAgent& agent_;
};

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
  transports_[queue::Route::Kind::kVirtual] = std::make_unique<VirtualTransport>(*this);
  transports_[queue::Route::Kind::kLocal] = std::make_unique<LocalTransport>(*this);
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
          ErrorKind::kOverQuota, "message is larger than the mailbox's quota",
          fmt::format("{} bytes for {} with a quota of {}", size, d.address, d.quota_bytes));
    }
    if (used >= d.quota_bytes || (size > 0 && used + size > d.quota_bytes)) {
      return fail(ErrorKind::kTemporary, "mailbox full",
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
  // Each queued recipient records its route: which transport retries it.
  auto queue_as = [&](queue::QueuedRecipient::State state, const directory::Destination& d,
                      const std::string& original, std::string why) {
    queue::QueuedRecipient q;
    q.address = d.address;
    q.original = original;
    q.route = route_of(d);
    q.state = state;
    q.last_error = std::move(why);
    to_queue.push_back(std::move(q));
  };
  auto defer = [&](const directory::Destination& d, const std::string& original, std::string why) {
    queue_as(queue::QueuedRecipient::State::kDeferred, d, original, std::move(why));
  };
  // A permanent failure: nothing more is tried for it; it is bounced below
  // (or kept in the queue as failed until the bounce can be sent).
  auto failed = [&](const directory::Destination& d, const std::string& original, std::string why) {
    queue_as(queue::QueuedRecipient::State::kFailed, d, original, std::move(why));
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
            defer(d, r.rcpt, kPathRefused);
            continue;
          }
          if (d.quota_bytes > 0 && message.size() > d.quota_bytes) {
            // It could never fit: a permanent failure, bounced.
            log::warning("message larger than the quota of {}", d.address);
            failed(d, r.rcpt, status_line(kLargerThanQuota));
            ++report.failed;
            if (!report.first_failure) report.first_failure = kLargerThanQuota;
            continue;
          }
          if (over_quota(d, location->path, message.size(), options_.vmail_uid,
                         options_.vmail_gid)) {
            log::warning("mailbox of {} is full; message queued", d.address);
            defer(d, r.rcpt, kMailboxFull);
            continue;
          }
          targets.push_back(std::move(*location));
          target_destinations.push_back(&d);
          break;
        }
        case directory::Destination::Kind::kExternal: defer(d, r.rcpt, kWaitingForRelay); break;
        case directory::Destination::Kind::kLocal: {
          auto done = local_->deliver(d.address, envelope.sender, r.rcpt, stored().text());
          if (done) {
            ++report.delivered;
            log::info("delivered to={} rcpt={} local={}", d.address, r.rcpt, *done);
          } else if (transient(done.error())) {
            log::warning("local delivery to {} deferred: {}", d.address, done.error().describe());
            defer(d, r.rcpt, status_line(done.error()));
          } else {
            log::error("local delivery to {} failed: {}", d.address, done.error().describe());
            failed(d, r.rcpt, status_line(done.error()));
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
        defer(*target_destinations[i], r.rcpt,
              status_line(smtp::proto::kMailboxWriteFailed, results[i].error().message()));
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
    // Into the runner's schedule, as written (so its next scan need not
    // read it). Without the stamp that scan reads it once instead.
    queue::QueueEntry entry;
    entry.id = *id;
    entry.arrived = std::chrono::system_clock::now();
    entry.recipients = std::move(to_queue);
    reschedule(entry);
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

TransportOutcome DeliveryAgent::deliver_virtual(const directory::Destination& d,
                                                const store::StoredMessage& copy) {
  auto location = store_->virtual_location(d.address, d.mailbox);
  if (!location) {
    log::error("{}; kept in the queue", location.error().describe());
    return {TransportOutcome::kLater, kPathRefused, {}};
  }
  if (d.quota_bytes > 0 && copy.size() > d.quota_bytes) {
    return {TransportOutcome::kNever, status_line(kLargerThanQuota), {}};
  }
  const std::string& path = location->path;
  if (over_quota(d, path, copy.size(), options_.vmail_uid, options_.vmail_gid)) {
    return {TransportOutcome::kLater, kMailboxFull, {}};
  }
  auto results = store_->save(copy, {*location});
  if (!results[0]) {
    return {TransportOutcome::kLater,
            status_line(smtp::proto::kMailboxWriteFailed, results[0].error().message()),
            {}};
  }
  if (d.quota_bytes > 0) {
    // Delivered whatever this says: the next recount (maildirsize grown
    // past its limit, or deleted) corrects the figure.
    Status counted =
        store::maildir::record_quota_change(path, static_cast<int64_t>(copy.size()), 1,
                                            d.quota_bytes, options_.vmail_uid, options_.vmail_gid);
    if (!counted) log::warning("quota not updated: {}", counted.error().describe());
  }
  return {};
}

void DeliveryAgent::set_transport(queue::Route::Kind kind, std::unique_ptr<Transport> transport) {
  if (transport) {
    transports_[kind] = std::move(transport);
  } else {
    transports_.erase(kind);
  }
}

void DeliveryAgent::reschedule(const queue::QueueEntry& entry) {
  auto due = queue::Schedule::due_of(entry);
  if (!due) {
    schedule_.erase(entry.id);
    return;
  }
  auto stamp = queue_.stamp(entry.id);
  if (!stamp && stamp.error().kind() == ErrorKind::kNotFound) {
    schedule_.erase(entry.id);  // removed meanwhile (hostmail queue delete)
    return;
  }
  // Without a stamp the next scan reads the envelope again: once, harmless.
  schedule_.set(entry.id, *due, stamp ? *stamp : queue::EnvelopeStamp{});
}

Status DeliveryAgent::rescan_queue(std::chrono::system_clock::time_point now,
                                   std::unordered_map<std::string, queue::QueueEntry>& fresh) {
  const uint64_t generation = schedule_.generation();
  auto listing = queue_.scan();
  if (!listing) return fail(std::move(listing).error());
  last_scan_ = now;
  scanned_ = true;
  for (const std::string& id : schedule_.reconcile(*listing, generation)) {
    // The stamp before the read: should the envelope change in between, the
    // next scan sees another stamp and reads it again.
    auto stamp = queue_.stamp(id);
    if (!stamp) continue;  // gone meanwhile
    auto entry = queue_.get(id);
    if (!entry) {
      if (entry.error().kind() == ErrorKind::kNotFound) continue;  // half-written or removed
      // Unreadable: logged once, and not read again until it changes.
      log::warning("queue: skipping {}: {}", id, entry.error().describe());
      schedule_.set(id, std::chrono::system_clock::time_point::max(), *stamp);
      continue;
    }
    auto due = queue::Schedule::due_of(*entry);
    schedule_.set(id, due ? *due : std::chrono::system_clock::time_point::max(), *stamp);
    if (due && *due <= now) fresh.emplace(id, std::move(*entry));  // this run takes it
  }
  return ok();
}

Status DeliveryAgent::run_queue(directory::Directory& directory,
                                std::chrono::system_clock::time_point now) {
  std::unordered_map<std::string, queue::QueueEntry> fresh;  // read by the scan
  if (!scanned_ || rescan_requested_.exchange(false, std::memory_order_relaxed) ||
      now - last_scan_ >= kRescanEvery || now < last_scan_) {
    HM_TRY(rescan_queue(now, fresh));
  }
  for (const std::string& id : schedule_.due(now)) {
    queue::QueueEntry entry;
    if (auto it = fresh.find(id); it != fresh.end()) {
      entry = std::move(it->second);
    } else {
      auto got = queue_.get(id);
      if (!got) {
        if (got.error().kind() == ErrorKind::kNotFound) {
          schedule_.erase(id);  // delivered or deleted by another process
        } else {
          log::warning("queue: skipping {}: {}", id, got.error().describe());
          schedule_.erase(id);  // the next scan reads it again
        }
        continue;
      }
      entry = std::move(*got);
    }
    Status s = run_entry(entry, directory, now);
    if (!s) {
      if (s.error().kind() != ErrorKind::kNotFound) return s;
      schedule_.erase(id);  // deleted while it was being tried
      continue;
    }
    reschedule(entry);
  }
  return ok();
}

Status DeliveryAgent::run_entry(queue::QueueEntry& entry, directory::Directory& directory,
                                std::chrono::system_clock::time_point now) {
  using State = queue::QueuedRecipient::State;
  using RouteKind = queue::Route::Kind;
  bool changed = false;
  std::optional<std::string> message;
  std::optional<Error> message_error;
  const std::function<Result<std::string_view>()> text = [&]() -> Result<std::string_view> {
    if (!message && !message_error) {
      auto read = queue_.message(entry.id);
      if (read) {
        message = std::move(*read);
      } else {
        message_error = std::move(read).error();
      }
    }
    if (message_error) return fail(*message_error);
    return std::string_view(*message);
  };
  const QueuedMessage queued{entry.id, entry.sender, text};
  const TransportContext context{directory, now};

  // The due recipients, one transport at a time. Virtual first: one it
  // reroutes (an address that is not hosted) is taken by the remote
  // transport in the same run.
  std::vector<bool> handled(entry.recipients.size(), false);
  for (RouteKind kind : {RouteKind::kVirtual, RouteKind::kLocal, RouteKind::kRemote}) {
    std::vector<size_t> batch;
    for (size_t i = 0; i < entry.recipients.size(); ++i) {
      const queue::QueuedRecipient& q = entry.recipients[i];
      if (handled[i] || q.route.kind != kind) continue;
      if ((q.state != State::kPending && q.state != State::kDeferred) || q.next_attempt > now) {
        continue;
      }
      batch.push_back(i);
    }
    if (batch.empty()) continue;
    auto transport = transports_.find(kind);
    if (transport == transports_.end()) {
      // Not lost, not bounced: it waits (until it expires) for a version
      // with that transport. No attempt was made, so none is counted.
      for (size_t i : batch) {
        queue::QueuedRecipient& q = entry.recipients[i];
        log::warning(
            "queue id={} to={}: no {} transport is configured for route {}; kept in the queue",
            entry.id, q.address, kind == RouteKind::kRemote ? "relay" : "delivery",
            queue::format::route_word(q.route));
        q.state = State::kDeferred;
        if (q.last_error.empty()) q.last_error = kWaitingForRelay;
        q.next_attempt = now + kNoTransportWait;
        handled[i] = true;
        changed = true;
      }
      continue;
    }
    std::vector<const queue::QueuedRecipient*> recipients;
    recipients.reserve(batch.size());
    for (size_t i : batch) recipients.push_back(&entry.recipients[i]);
    std::vector<TransportOutcome> outcomes =
        transport->second->deliver(queued, recipients, context);
    for (size_t n = 0; n < batch.size(); ++n) {
      queue::QueuedRecipient& q = entry.recipients[batch[n]];
      TransportOutcome o =
          n < outcomes.size()
              ? std::move(outcomes[n])
              : TransportOutcome{
                    TransportOutcome::kLater,
                    status_line(Error(ErrorKind::kInternal, "the transport gave no outcome")),
                    {}};
      if (o.kind == TransportOutcome::kSkipped) {
        handled[batch[n]] = true;
        continue;
      }
      changed = true;
      if (o.kind == TransportOutcome::kRerouted) {
        log::info("queue id={} to={} now goes by route {}", entry.id, q.address,
                  queue::format::route_word(o.route));
        q.route = std::move(o.route);
        continue;  // not handled: the transport of its new route takes it
      }
      handled[batch[n]] = true;
      ++q.attempts;
      switch (o.kind) {
        case TransportOutcome::kDone: q.state = State::kDelivered; break;
        case TransportOutcome::kLater:
          q.state = State::kDeferred;
          q.last_error = std::move(o.text);
          q.next_attempt = now + queue::Queue::backoff(q.attempts);
          break;
        case TransportOutcome::kNever:
          q.state = State::kFailed;
          q.last_error = std::move(o.text);
          break;
        case TransportOutcome::kRerouted:
        case TransportOutcome::kSkipped: break;  // taken care of above
      }
    }
  }

  if (now - entry.arrived >= queue::Queue::kGiveUpAfter) {
    // Tried for long enough: fail with the last (temporary) error, which
    // the bounce reports as Status 4.4.7, delivery time expired.
    for (queue::QueuedRecipient& q : entry.recipients) {
      if (q.state != State::kPending && q.state != State::kDeferred) continue;
      q.state = State::kFailed;
      if (q.last_error.empty()) q.last_error = kExpiredUntried;
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
    auto original = text();
    if (!original) {
      log::warning("queue id={}: cannot read the message for its bounce: {}", entry.id,
                   original.error().describe());
    } else {
      std::vector<BouncedRecipient> failed = to_bounce(unbounced);
      // The bounce is durable (delivered or queued) before the failures
      // are marked bounced; should the update below not happen, the next
      // run sends the bounce again: twice rather than never.
      Status sent = send_bounce(entry.sender, entry.arrived, now, std::move(failed), *original);
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
    if (transient(resolution.error())) {
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
