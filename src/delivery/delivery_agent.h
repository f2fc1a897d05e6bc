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
// Maildir files hold Unix line ends (LF), as Courier and Dovecot write them;
// the message is given with CRLF as SMTP carries it.
//
// Headers: every copy starts with "Return-Path: <sender>" and
// "Delivered-To: <envelope recipient>" (the RCPT TO address as the client
// gave it). All mailboxes reached through one RCPT (an alias, say) therefore
// hold identical bytes and share one file through hard links.
//
// Thread-safe; blocking (fsync): call it from a worker pool, not an event loop.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "delivery/local_delivery.h"
#include "directory/directory.h"
#include "directory/resolver.h"
#include "queue/queue.h"

namespace hm::delivery {

struct Recipient {
  std::string rcpt;                  // as given in RCPT TO (normalized)
  directory::Resolution resolution;  // where it goes
};

struct Envelope {
  std::string sender;  // "" for the null sender
  std::vector<Recipient> recipients;
};

struct DeliveryReport {
  unsigned delivered = 0;  // destinations written to their Maildir
  unsigned queued = 0;     // destinations waiting in the queue
  unsigned failed = 0;     // destinations that failed for good (kept in the queue as failed)
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

class DeliveryAgent {
 public:
  // Local (shell account) destinations go to `local`; null means local
  // delivery is unavailable and they wait in the queue.
  DeliveryAgent(DeliveryOptions options, queue::Queue& queue,
                std::unique_ptr<LocalDelivery> local = nullptr);

  // `message` is the message as received (with our Received: header at its
  // top), CRLF line ends. Errors are kTemporary: nothing durable happened for
  // some destination, and the caller must not accept the message.
  Result<DeliveryReport> deliver(const Envelope& envelope, std::string_view message);

  // Retries what is due in the queue: virtual mailboxes that failed before
  // (their Maildir is looked up again in the directory) and local accounts
  // (a destination without '@'), through the LocalDelivery. A permanent
  // local failure marks the recipient failed (bounces: a later issue).
  // External destinations stay deferred until the outbound relay exists.
  Status run_queue(directory::Directory& directory, std::chrono::system_clock::time_point now);

  // Maildir path of a virtual destination.
  std::string maildir_path(const directory::Destination& d) const;

 private:
  DeliveryOptions options_;
  queue::Queue& queue_;
  std::unique_ptr<LocalDelivery> local_;
};

}  // namespace hm::delivery
