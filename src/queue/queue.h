#pragma once
// The durable queue: messages that were accepted but could not be delivered
// at once (a temporary failure, or a recipient elsewhere, which waits for the
// outbound relay of a later issue). It survives restarts.
//
// On disk, under <state_dir>/queue/ (docs/queue-format.md): per message an
// envelope file "active/<id>.env" and the message bytes "active/<id>.msg".
// Both are written under tmp/, fsynced, renamed into active/ (the .env last:
// it is the commit point), and active/ is fsynced, so a message is either
// wholly there or not at all. Envelope and message are two files so that an
// update (after every delivery attempt) rewrites a few hundred bytes, not the
// whole message. The envelope records, per recipient, its state (pending,
// deferred with the last error, delivered, failed, failed and bounced),
// attempts, next attempt time and route (transport and next hop).
//
// Links: root runs `hostmail queue` and opens the queue at `serve`'s start,
// while the folder belongs to the unprivileged daemon, which could plant a
// symbolic link in it. open() therefore opens queue/, tmp/ and active/
// without following links (a link there is refused, naming it), and every
// later operation works relative to those descriptors and does not follow a
// link in an entry's name either (base/folder_fd.h).
//
// Thread-safe; several processes (the daemon and `hostmail queue`) may use one
// queue directory: changes to an entry are made under an fcntl lock (an
// open-file-description lock, so threads exclude each other too) on its .msg
// file, whose inode never changes while the entry lives.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace hm::queue {

// How a queued recipient is to be delivered: the kind of transport that
// takes it (delivery/transport.h) and, for mail that leaves this host, the
// next hop. Recorded at queueing time, so that a retry goes to the right
// transport without guessing from the address, and the outbound relay adds a
// transport rather than a special case.
struct Route {
  enum class Kind {
    kVirtual,  // a hosted address: resolved again at every retry, then Maildir
    kLocal,    // a shell account of this machine (`address` is the user name)
    kRemote,   // elsewhere, over SMTP to `next_hop`
  };
  Kind kind = Kind::kVirtual;
  // kRemote only: the recipient's domain (MX lookup; "" means that domain
  // too), or an explicit relay "[host]:port" (a name or an IP literal, no MX
  // lookup). The relay transport interprets it. Empty for the other kinds.
  std::string next_hop;
  friend bool operator==(const Route&, const Route&) = default;
};

struct QueuedRecipient {
  enum class State { kPending, kDeferred, kDelivered, kFailed };
  std::string address;   // the final destination address (or local name)
  std::string original;  // the RCPT TO address it came from
  Route route;           // how it is delivered (docs/queue-format.md)
  State state = State::kPending;
  // kFailed only: the sender was told (the bounce was delivered or queued),
  // or cannot be (the null sender: a bounce is never bounced). Until then a
  // failed recipient keeps its entry in the queue, so no failure is lost.
  bool bounced = false;
  std::string last_error;  // human-readable; SMTP-style "451 4.3.0 ..." where known
  unsigned attempts = 0;
  std::chrono::system_clock::time_point next_attempt{};
};

// What a listing knows of an entry's envelope without reading it: enough to
// tell that it changed since it was read or written (every change replaces
// the file by a rename: a new inode, a new time).
struct EnvelopeStamp {
  uint64_t inode = 0;
  int64_t mtime_ns = 0;
  int64_t size = 0;
  friend bool operator==(const EnvelopeStamp&, const EnvelopeStamp&) = default;
};

struct QueueEntry {
  std::string id;      // unique, file-name safe
  std::string sender;  // "" for the null sender
  std::chrono::system_clock::time_point arrived{};
  std::vector<QueuedRecipient> recipients;
  size_t size = 0;  // message bytes
};

class Queue {
 public:
  // Opens (creating if needed) the queue folder under state_dir.
  static Result<Queue> open(const std::string& state_dir, bool fsync = true);

  // Stores a message durably; returns its id. Durable on return. kInvalid
  // when no recipient has work (has_work); kTemporary (naming the path) when the disk fails.
  Result<std::string> enqueue(const std::string& sender,
                              const std::vector<QueuedRecipient>& recipients,
                              std::string_view message);
  // Every complete entry, oldest first. Half-written files (a crash during
  // enqueue) and unreadable envelopes are skipped (the latter logged).
  Result<std::vector<QueueEntry>> list() const;
  // The id and envelope stamp of every entry in active/, in no order, read
  // from the folder and one fstatat per envelope: no envelope is opened.
  // An id here may still turn out half-written or unreadable at get().
  struct Listed {
    std::string id;
    EnvelopeStamp stamp;
  };
  Result<std::vector<Listed>> scan() const;
  // The stamp of one entry's envelope now; kNotFound when it is gone.
  Result<EnvelopeStamp> stamp(const std::string& id) const;
  // How many envelopes get() and list() have read so far: a seam for tests
  // that show what a queue run reads.
  uint64_t envelope_reads() const { return reads_->load(std::memory_order_relaxed); }
  // kNotFound for an unknown id, kInvalid for one that is not a queue id.
  Result<QueueEntry> get(const std::string& id) const;
  Result<std::string> message(const std::string& id) const;
  // Rewrites the envelope (sender, arrived, recipient states) atomically;
  // removes the entry when no recipient is pending, deferred, or failed and
  // not yet bounced (has_work).
  // kNotFound when the entry was removed meanwhile (queue delete).
  Status update(const QueueEntry& entry);
  // Makes every deferred recipient due now (hostmail queue retry [ID]).
  Status retry_now(const std::string& id);  // "" = all
  Status remove(const std::string& id);     // hostmail queue delete ID

  // Whether an entry with these recipients still needs the queue: one is
  // pending or deferred, or failed without its bounce sent yet.
  static bool has_work(const std::vector<QueuedRecipient>& recipients);

  // Backoff after `attempts` failures: 5 min doubling, at most 4 h; give up
  // after 5 days (the caller bounces).
  static std::chrono::seconds backoff(unsigned attempts);
  static constexpr std::chrono::hours kGiveUpAfter{24 * 5};

  const std::string& path() const { return path_; }

 private:
  // Writes the entry's envelope under tmp/ and renames it over the old one.
  Status replace_envelope(const QueueEntry& entry);

  Queue(std::string path, bool fsync, UniqueFd tmp, UniqueFd active)
      : path_(std::move(path)), fsync_(fsync), tmp_(std::move(tmp)), active_(std::move(active)) {}
  std::string path_;
  bool fsync_;
  UniqueFd tmp_;     // <path_>/tmp, opened without following links
  UniqueFd active_;  // <path_>/active, likewise
  // Envelopes read (get); behind a pointer so that the Queue stays movable.
  std::unique_ptr<std::atomic<uint64_t>> reads_ = std::make_unique<std::atomic<uint64_t>>(0);
};

}  // namespace hm::queue
