#pragma once
// Transports: how the queue runner delivers a queued recipient. Every
// recipient in the queue records its route (queue::Route: virtual, local, or
// remote with its next hop), and the runner hands the due recipients of one
// message to the transport registered for their route's kind
// (DeliveryAgent::set_transport). The agent registers the virtual transport
// (resolve the address again through the Resolver, then Maildir) and the
// local one (shell accounts); the outbound relay adds a remote transport and
// nothing else. A recipient whose kind has no transport stays queued, and the
// runner says so in the log.
//
// Contract of deliver(): one outcome per recipient, in order. A transport
// never changes the queue itself: the runner records the outcomes (attempts,
// state, last error, next attempt) and rewrites the envelope once.
// Implementations are blocking; the runner calls them from one thread.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "directory/directory.h"
#include "queue/queue.h"

namespace hm::delivery {

// The part of one queue entry that a transport is given.
struct QueuedMessage {
  const std::string& id;
  const std::string& sender;  // "" for the null sender
  // The message as received (CRLF line ends), read from the queue at the
  // first call: a transport that sends nothing costs no read.
  const std::function<Result<std::string_view>()>& text;
};

// What became of one recipient.
struct TransportOutcome {
  enum Kind {
    kDone,      // delivered
    kLater,     // a temporary failure: an attempt, retried after the backoff
    kNever,     // a permanent failure: bounced
    kRerouted,  // not this transport's after all (`route` says whose); no attempt
    kSkipped,   // not tried by this process (it cannot tell); no attempt, no change
  };
  Kind kind = kDone;
  std::string text;    // kLater, kNever: what the queue records ("452 4.2.2 mailbox full")
  queue::Route route;  // kRerouted: the recipient's route from now on
};

// What a transport may use besides the message.
struct TransportContext {
  directory::Directory& directory;
  std::chrono::system_clock::time_point now;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::vector<TransportOutcome> deliver(
      const QueuedMessage& message, const std::vector<const queue::QueuedRecipient*>& recipients,
      const TransportContext& context) = 0;
};

}  // namespace hm::delivery
