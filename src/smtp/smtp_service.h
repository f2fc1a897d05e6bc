#pragma once
// The SMTP service (RFC 5321) for mail coming in on [listen] smtp: accepts
// mail for hosted domains, rejects unknown recipients at RCPT, relays only
// for a logged-in user, and hands each message to the DeliveryAgent,
// answering "250" only once it is durable. The net::Server runs it (loops,
// accept, limits, deadlines); this is the protocol.
//
// The same service in the submission role (RFC 6409) serves [listen]
// submission (587, STARTTLS) and smtps (465, implicit TLS, RFC 8314): AUTH
// (only over TLS) before MAIL, the sender checked against the user's
// addresses, missing Message-ID:/Date: added, rates limited.
//
// Threads: directory lookups go to the AsyncDirectory's workers and
// Maildir writes to the service's delivery pool, so no event loop ever
// blocks. This header keeps Asio out of its includers.

#include <chrono>
#include <memory>
#include <string>

#include "delivery/delivery_agent.h"
#include "directory/async_directory.h"
#include "net/server.h"
#include "smtp/rate_limiter.h"
#include "smtp/submission_policy.h"

namespace hm::smtp {

struct SmtpSettings {
  std::string hostname = "localhost";
  uint64_t max_message_size = 50ull * 1024 * 1024;
  uint32_t max_recipients = 1000;
  uint32_t line_length = 1000;
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds data_timeout{600};
  uint32_t data_min_rate = 500;      // bytes/s, averaged over a DATA or BDAT transfer
  uint32_t connections_per_ip = 50;  // as Postfix's smtpd_client_connection_count_limit
  uint32_t max_sessions = 500;       // all clients together
  uint32_t errors_per_session = 10;
  size_t delivery_threads = 16;  // concurrent fsyncs: the disk's queue depth pays
  // A message past `spool_threshold` bytes goes to an unnamed file in
  // `spool_dir` (the queue's tmp/) instead of memory; empty: never.
  std::string spool_dir;
  size_t spool_threshold = 128 * 1024;
  // Spooled messages being delivered at once hold at most about this much
  // memory together (see byte_budget.h).
  size_t delivery_memory = 64ull * 1024 * 1024;

  // Names the service in the log ("smtp", "submission", "smtps").
  std::string service_name = "smtp";
  // The submission role: nothing is accepted before AUTH.
  bool submission = false;
  // AUTH PLAIN and LOGIN offered (over TLS only); always in the submission
  // role, on port 25 when [submission] auth_on_smtp says so.
  bool offer_auth = false;
  SubmissionPolicy policy;
};

// The service to register with a net::Server. With `starttls`, STARTTLS
// is offered (the context loaded before privileges were dropped). `rates`
// (shared by the services, may be null: no limits) counts what logged-in
// users and submission clients send; it must outlive the service.
net::ServicePtr make_smtp_service(SmtpSettings settings, std::shared_ptr<net::TlsContext> starttls,
                                  directory::AsyncDirectory& directory,
                                  delivery::DeliveryAgent& agent, RateLimiter* rates = nullptr);

}  // namespace hm::smtp
