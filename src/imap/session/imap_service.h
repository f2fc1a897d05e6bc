#pragma once
// The IMAP service (RFC 3501 and the extensions of capabilities.cc) for
// [listen] imap (STARTTLS) and imaps (implicit TLS): logs virtual accounts
// in through the directory's Authenticator and serves their mail through
// the store's readers' interface (store/mailbox.h). The net::Server runs
// it (loops, accept, limits, TLS of imaps); this is the protocol.
//
// Threads: logins go to the AsyncDirectory's workers, and every store call
// (they block: file I/O, fsync) to the service's worker pool, one call at a
// time per session so that its calls stay in order; no event loop blocks.
// This header keeps Asio out of its includers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "directory/async_directory.h"
#include "directory/principal.h"
#include "imap/session/mailbox_names.h"
#include "net/server.h"
#include "store/mailbox.h"

namespace hm::imap {

// When LOGIN and AUTHENTICATE are allowed over a connection without TLS.
enum class PlaintextLogin {
  kLoopback,  // only from 127.0.0.0/8 and ::1 (the default)
  kAlways,
  kNever,
};

struct ImapSettings {
  std::string hostname = "localhost";
  NamespaceStyle namespace_style = NamespaceStyle::kDovecot;
  PlaintextLogin plaintext_login = PlaintextLogin::kLoopback;
  // RFC 3501 5.4: at least 30 minutes for an authenticated client; the
  // same holds before login (max_sessions bounds idlers there).
  std::chrono::seconds idle_timeout{30 * 60};
  uint32_t line_length = 8192;  // octets of one command line (RFC 7162 4: at least 8192)
  // Largest literal: a message in APPEND (APPENDLIMIT, [TOOBIG]).
  uint64_t append_limit = 50ull * 1024 * 1024;
  // A command with its literals must arrive within idle_timeout plus one
  // second per literal_min_rate octets (net::TransferLimits).
  uint32_t literal_min_rate = 500;
  uint32_t max_sessions = 1000;
  uint32_t connections_per_ip = 50;
  uint32_t errors_per_session = 20;  // BAD or refused commands before BYE
  size_t worker_threads = 16;        // store calls in flight (fsync)
  // How often a session in IDLE looks for changes (Mailbox::sync()).
  std::chrono::milliseconds idle_poll{1000};
};

// Opens the mail of a logged-in principal (on a worker thread): production
// looks the account up for its mailbox and quota and opens its Maildir
// through the MailStore; tests give an in-memory store. kUnavailable-style
// refusals are kTemporary or kPermission with a text for the client.
using AccountOpener =
    std::function<Result<std::unique_ptr<store::Mailboxes>>(const directory::Principal&)>;

// The service to register with a net::Server. With `starttls`, STARTTLS is
// offered (the context loaded before privileges were dropped).
net::ServicePtr make_imap_service(ImapSettings settings, std::shared_ptr<net::TlsContext> starttls,
                                  directory::AsyncDirectory& directory, AccountOpener open_account);

}  // namespace hm::imap
