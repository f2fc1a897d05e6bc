#pragma once
// DeliveryAgent: puts one accepted message where its recipients' resolutions
// say, durably, and tells the caller which recipients are done, which wait in
// the queue, and which failed for good. The SMTP session calls it after DATA,
// `hostmail deliver` for one message on stdin, and the queue runner for
// retries. It never speaks a protocol; protocols never write mailboxes.
//
// What "done" means: a message counts as accepted only when every recipient
// is either in its Maildir (file and directory fsynced) or in the queue
// (fsynced). Anything else is a temporary failure for the whole message, so
// the client retries and nothing is lost.
//
// The message is given with CRLF as SMTP carries it; the store decides its
// form on disk (store/stored_message.h: LF, as Courier and Dovecot write
// it) and where each mailbox lies (store/mail_store.h).
//
// Headers: every copy starts with "Return-Path: <sender>" and
// "Delivered-To: <envelope recipient>" (the RCPT TO address as the client
// gave it). All mailboxes reached through one RCPT (an alias, say) therefore
// hold identical bytes and share one file through hard links.
//
// Bounces (bounce.h): a destination that fails for good after the message was
// accepted, or that is still deferred Queue::kGiveUpAfter after arrival, is
// reported to the envelope sender by a delivery status notification, sent
// through deliver() itself with the null sender (so never bounced again:
// RFC 5321 4.5.5). Mail from the null sender is never bounced. A failed
// recipient stays in the queue as "failed" until its bounce is delivered or
// queued, and only then is marked bounced: a crash in between may send a
// bounce twice, but never loses it.
//
// Thread-safe; blocking (fsync): call it from a worker pool, not an event loop.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "delivery/bounce.h"
#include "delivery/local_delivery.h"
#include "delivery/transport.h"
#include "directory/directory.h"
#include "directory/resolver.h"
#include "queue/queue.h"
#include "queue/queue_schedule.h"
#include "store/mail_store.h"

namespace hm::delivery {

struct Recipient {
  std::string rcpt;                  // as given in RCPT TO (normalized)
  directory::Resolution resolution;  // where it goes
};

struct Envelope {
  std::string sender;  // "" for the null sender
  std::vector<Recipient> recipients;
  // Set by `hostmail deliver`: when every destination fails for good, its
  // exit status tells the calling MTA, which bounces; we send none then.
  bool caller_reports_total_failure = false;
};

struct DeliveryReport {
  unsigned delivered = 0;  // destinations written to their Maildir
  unsigned queued = 0;     // destinations waiting in the queue
  unsigned failed = 0;     // destinations that failed for good
  unsigned bounced = 0;    // of `failed`: reported to the sender by a bounce, delivered or queued
  std::string queue_id;    // set when anything was queued
  std::optional<Error> first_failure;  // why the first of `failed` failed
};

struct DeliveryOptions {
  std::string virtual_base;  // [storage] virtual_base
  std::string hostname;      // for Maildir names
  uid_t vmail_uid = static_cast<uid_t>(-1);
  gid_t vmail_gid = static_cast<gid_t>(-1);
  bool fsync = true;
  bool local_enabled = false;  // informational; what happens is the LocalDelivery's choice
};

// Where a bounce goes: resolves the original sender's address as SMTP
// resolves a RCPT (directory::Resolver::resolve). kTemporary: try later.
using SenderResolver = std::function<Result<directory::Resolution>(std::string_view address)>;

class DeliveryAgent {
 public:
  // Local (shell account) destinations go to `local`; null means local
  // delivery is unavailable and they wait in the queue. The queue runner's
  // virtual and local transports are registered here. Without
  // `resolve_sender` no bounce can be sent: failed recipients wait in the
  // queue for an agent that has one (the daemon's).
  DeliveryAgent(DeliveryOptions options, queue::Queue& queue,
                std::unique_ptr<LocalDelivery> local = nullptr, SenderResolver resolve_sender = {});

  // `message` is the message as received (with our Received: header at its
  // top), CRLF line ends. Errors are kTemporary: nothing durable happened for
  // some destination, and the caller must not accept the message. Permanent
  // failures are bounced before this returns; if the bounce cannot be sent
  // now, they are queued as failed and the queue run sends it.
  Result<DeliveryReport> deliver(const Envelope& envelope, std::string_view message);

  // One queue run: retries what is due. Each due recipient goes to the
  // transport of its route (transport.h): a virtual one is resolved again
  // through the resolver, as SMTP resolves a RCPT (an account deleted
  // meanwhile fails at once with 5.1.1; a directory outage is an attempt
  // that counts), then written to its Maildir; a local one goes to the
  // LocalDelivery; a remote one waits, with a log line, while no relay
  // transport is registered. Recipients still pending or deferred
  // Queue::kGiveUpAfter after arrival fail ("delivery time expired"). Then
  // every failed recipient not yet bounced is bounced, one bounce per entry.
  // `now` is the clock for all of it (tests pass their own).
  //
  // Only envelopes that are due are read: the runner keeps a schedule in
  // memory (queue/queue_schedule.h), built by a scan of the queue folder at
  // the first run and updated as this agent queues, retries and removes
  // messages. The folder is scanned again (a listing and one stat per
  // envelope; only new or changed envelopes are read) when queue_changed()
  // was called, or when kRescanEvery has passed: so messages that other
  // processes queue, retry or delete are seen. One caller at a time.
  Status run_queue(directory::Directory& directory, std::chrono::system_clock::time_point now);
  static constexpr std::chrono::seconds kRescanEvery{60};
  // How long a recipient whose route has no transport waits before the
  // runner looks at it again (it is no attempt: its count stays).
  static constexpr std::chrono::hours kNoTransportWait{1};

  // Tells the runner that another process may have changed the queue
  // folder: the next run scans it. Thread-safe.
  void queue_changed() { rescan_requested_.store(true, std::memory_order_relaxed); }

  // Registers the transport that delivers queued recipients of route kind
  // `kind` (null: none), replacing the one there was. Not while run_queue runs.
  void set_transport(queue::Route::Kind kind, std::unique_ptr<Transport> transport);

  // The queue's schedule, for tests.
  const queue::Schedule& schedule() const { return schedule_; }

  // Whether every virtual mailbox of `resolution` with a quota has room for
  // `size` more bytes (0: any room at all), as SMTP asks at RCPT. kOverQuota:
  // `size` exceeds the whole quota, so it can never fit (552 5.2.2, as the
  // table says of kOverQuota); kTemporary: full for now (452 4.2.2, the
  // owner may make room). A quota that cannot be read is no refusal.
  Status admits(const directory::Resolution& resolution, uint64_t size) const;

  // Maildir path of a virtual destination, as the store places it; kInvalid
  // when its mailbox attribute would lead outside its own domain's folder
  // (store/mailbox_path.h).
  Result<std::string> maildir_path(const directory::Destination& d) const;

 private:
  // What `address` resolves to now, for a retry: through the resolver the
  // agent was given (as SMTP resolves a RCPT), or, without one, the account
  // of that address (not hosted when there is none).
  Result<directory::Resolution> resolve_recipient(directory::Directory& directory,
                                                  const std::string& address) const;
  // One copy into a virtual destination's Maildir, quota kept.
  TransportOutcome deliver_virtual(const directory::Destination& d,
                                   const store::StoredMessage& copy);

  class VirtualTransport;
  class LocalTransport;

  // The schedule: one scan of the queue folder; the entries read (new or
  // changed envelopes) that are due are left in `fresh` for the run to use.
  Status rescan_queue(std::chrono::system_clock::time_point now,
                      std::unordered_map<std::string, queue::QueueEntry>& fresh);
  // Records when `entry` is due next (Schedule::due_of), or forgets it.
  void reschedule(const queue::QueueEntry& entry);
  // Retries the due recipients of one entry and bounces its failures.
  Status run_entry(queue::QueueEntry& entry, directory::Directory& directory,
                   std::chrono::system_clock::time_point now);

  // Composes the bounce for `failed` (recipients of a message from `sender`)
  // and delivers it with the null sender. Ok: it is delivered or queued, or
  // it can never be delivered (a sender that does not exist; logged), so
  // the failures may be marked bounced. kTemporary: try again later.
  Status send_bounce(const std::string& sender, std::chrono::system_clock::time_point arrival,
                     std::chrono::system_clock::time_point now,
                     std::vector<BouncedRecipient> failed, std::string_view message);

  DeliveryOptions options_;
  queue::Queue& queue_;
  std::unique_ptr<LocalDelivery> local_;
  SenderResolver resolve_sender_;
  std::unique_ptr<store::MailStore> store_;  // Maildir++ under options_.virtual_base
  std::atomic<uint64_t> bounce_counter_{0};  // for unique Message-IDs
  std::map<queue::Route::Kind, std::unique_ptr<Transport>> transports_;
  queue::Schedule schedule_;
  // run_queue's own state (one caller at a time).
  bool scanned_ = false;
  std::chrono::system_clock::time_point last_scan_{};
  std::atomic<bool> rescan_requested_{false};
};

}  // namespace hm::delivery
