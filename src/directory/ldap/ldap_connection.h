#pragma once
// hm::directory::ldap::Connection and ConnectionPool: libldap's synchronous
// API behind Result-returning calls, and a bounded pool of connections that
// reconnects by itself.
//
// Every call is bounded by the configured timeout (LDAP_OPT_NETWORK_TIMEOUT
// for connecting, LDAP_OPT_TIMEOUT and the search time limit for each
// operation). LDAP result codes become ErrorKinds:
//   server down, connect error, timeout, busy, unavailable  -> kTemporary
//   noSuchObject, noSuchAttribute                           -> kNotFound
//   alreadyExists, typeOrValueExists                        -> kExists
//   insufficientAccess, invalidCredentials on a write bind  -> kPermission
//   invalidCredentials on a password check                  -> kAuthFailed
//   objectClassViolation, invalidSyntax, undefinedType ...  -> kInvalid
// and the server's own text goes into the error's detail.
//
// Thread-safety: a Connection is used by one thread at a time (the pool hands
// it out exclusively). ConnectionPool is thread-safe.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

typedef struct ldap LDAP;  // NOLINT: libldap's own opaque type

namespace hm::directory::ldap {

// Attribute names lower-cased; values in server order.
struct Entry {
  std::string dn;
  std::map<std::string, std::vector<std::string>> attributes;

  // The values of one attribute (name in any case); empty if absent.
  const std::vector<std::string>& values(std::string_view name) const;
  // The first value, or "".
  std::string first(std::string_view name) const;
  bool has_class(std::string_view object_class) const;
};

using Attributes = std::vector<std::pair<std::string, std::vector<std::string>>>;

struct Modification {
  enum class Op { kAdd, kDelete, kReplace };
  Op op;
  std::string attribute;
  std::vector<std::string> values;  // kDelete with none: the whole attribute
};

enum class Scope { kBase, kOneLevel, kSubtree };

// Whom a connection is bound as. An empty dn is anonymous.
struct Identity {
  std::string dn;
  std::string password;
  friend bool operator==(const Identity&, const Identity&) = default;
};

class Connection {
 public:
  // Prepares a connection to the first of `uris` (space-separated) that
  // answers; nothing is sent before the first bind.
  static Result<std::unique_ptr<Connection>> open(const std::string& uris,
                                                  std::chrono::milliseconds timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Simple bind. invalidCredentials is kAuthFailed; after any failure the
  // connection counts as anonymous.
  Status bind(const Identity& identity);
  const std::optional<Identity>& bound_as() const { return bound_as_; }

  // size_limit 0 = none. A base search of a missing entry is an empty result.
  Result<std::vector<Entry>> search(const std::string& base, Scope scope, const std::string& filter,
                                    const std::vector<std::string>& attributes, int size_limit = 0);
  Status add(const std::string& dn, const Attributes& attributes);
  Status modify(const std::string& dn, const std::vector<Modification>& modifications);
  Status remove(const std::string& dn);

  // True once the server went away or an operation timed out: the pool
  // drops such a connection. timed_out() says which.
  bool broken() const { return broken_; }
  bool timed_out() const { return timed_out_; }

 private:
  Connection(LDAP* ld, std::string uris, std::chrono::milliseconds timeout)
      : ld_(ld), uris_(std::move(uris)), timeout_(timeout) {}
  Error error(int rc, std::string_view what, std::string_view target);

  LDAP* ld_;
  std::string uris_;
  std::chrono::milliseconds timeout_;
  std::optional<Identity> bound_as_;
  bool broken_ = false;
  bool timed_out_ = false;
};

// Connections are handed out first come, first served: a caller that finds
// none free joins a queue, and a released connection goes straight to the
// caller at its head, so no caller waits behind one that came later (a
// condition variable with notify_one wakes an arbitrary waiter, which made
// the slowest lookups wait many times as long as the typical one).
class ConnectionPool {
 public:
  // size 0: no bound, one connection per caller running at the same time
  // (the callers' own number, i.e. the threads calling the directory, is the
  // bound). Connections are opened on first need and kept while they work.
  ConnectionPool(std::string uris, std::chrono::milliseconds timeout, int size);

  // Runs op on a connection bound as `identity` (bound first if needed).
  // When the connection turns out to be broken (the server restarted), op
  // runs once more on a fresh connection, unless it timed out: a timeout has
  // used the caller's time already. Waits up to the timeout for a free
  // connection, then fails with kTemporary.
  Status run(const Identity& identity, const std::function<Status(Connection&)>& op);

  // Counts connections opened so far (for tests of the reconnect path).
  int opened() const;
  // Callers waiting for a connection now (for tests of the queue).
  int waiting() const;

 private:
  // A caller in the queue. release() hands it a slot: an idle connection, or
  // (connection null) the right to open a new one.
  struct Waiter {
    std::condition_variable granted_cv;
    bool granted = false;
    std::unique_ptr<Connection> connection;
  };

  Result<std::unique_ptr<Connection>> acquire();
  void release(std::unique_ptr<Connection> connection);
  Result<std::unique_ptr<Connection>> open_connection();

  const std::string uris_;
  const std::chrono::milliseconds timeout_;
  const int size_;  // 0: unbounded
  mutable std::mutex mutex_;
  std::deque<Waiter*> waiters_;  // oldest first
  std::vector<std::unique_ptr<Connection>> idle_;
  int in_use_ = 0;  // slots taken: connections out, being opened, or handed to a waiter
  int opened_ = 0;
};

}  // namespace hm::directory::ldap
