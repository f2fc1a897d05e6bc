#pragma once
// The POP3 service (RFC 1939 with CAPA, RESP-CODES, AUTH-RESP-CODE, TOP,
// UIDL, PIPELINING, USER, SASL PLAIN and LOGIN, STLS) for [listen] pop3
// (STLS) and pop3s (implicit TLS): the same logins as IMAP (the
// directory's Authenticator: the account's POP3 switch, the throttles, the
// cache of proven logins) and the same mail, the account's INBOX through
// the store's readers' interface (store/mailbox.h).
//
// Threads: logins go to the AsyncDirectory's workers and store calls to
// the service's worker pool; no event loop blocks. Keeps Asio out of its
// includers.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "access/account_opener.h"
#include "access/plaintext_login.h"
#include "directory/async_directory.h"
#include "net/server.h"

namespace hm::pop3 {

struct Pop3Settings {
  std::string hostname = "localhost";
  // USER/PASS and AUTH without TLS (STLS or pop3s).
  mail_access::PlaintextLogin plaintext_login = mail_access::PlaintextLogin::kLoopback;
  // RFC 1939 3: an inactivity autologout timer of at least 10 minutes.
  std::chrono::seconds command_timeout{600};
  // Octets of a command line. RFC 2449 allows 255; AUTH's initial response
  // (RFC 5034 4) may be longer.
  uint32_t line_length = 2048;
  uint32_t max_sessions = 1000;
  uint32_t connections_per_ip = 50;
  uint32_t errors_per_session = 20;  // -ERR for bad input before the close
  size_t worker_threads = 16;        // store calls in flight
};

// The service to register with a net::Server. With `starttls`, STLS is
// offered (the context loaded before privileges were dropped).
net::ServicePtr make_pop3_service(Pop3Settings settings, std::shared_ptr<net::TlsContext> starttls,
                                  directory::AsyncDirectory& directory,
                                  mail_access::AccountOpener open_account);

}  // namespace hm::pop3
