#include "directory/ldap/ldap_connection.h"

#include <ldap.h>
#include <sys/time.h>

#include <algorithm>
#include <cstring>

#include "base/strings.h"

namespace hm::directory::ldap {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

berval as_berval(const std::string& s) {
  berval b{};
  b.bv_len = s.size();
  b.bv_val = const_cast<char*>(s.data());
  return b;
}

// NULL-terminated arrays of pointers into strings that outlive the call, as
// libldap's LDAPMod wants them.
struct ModArrays {
  std::vector<LDAPMod> mods;
  std::vector<std::vector<berval>> values;
  std::vector<std::vector<berval*>> value_ptrs;
  std::vector<LDAPMod*> mod_ptrs;

  void build(const std::vector<Modification>& in) {
    mods.resize(in.size());
    values.resize(in.size());
    value_ptrs.resize(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
      const Modification& m = in[i];
      for (const std::string& v : m.values) values[i].push_back(as_berval(v));
      for (berval& b : values[i]) value_ptrs[i].push_back(&b);
      value_ptrs[i].push_back(nullptr);
      LDAPMod& mod = mods[i];
      int op = m.op == Modification::Op::kAdd      ? LDAP_MOD_ADD
               : m.op == Modification::Op::kDelete ? LDAP_MOD_DELETE
                                                   : LDAP_MOD_REPLACE;
      mod.mod_op = op | LDAP_MOD_BVALUES;
      mod.mod_type = const_cast<char*>(m.attribute.c_str());
      mod.mod_bvalues = m.values.empty() ? nullptr : value_ptrs[i].data();
    }
    for (LDAPMod& mod : mods) mod_ptrs.push_back(&mod);
    mod_ptrs.push_back(nullptr);
  }
};

ErrorKind kind_of(int rc) {
  switch (rc) {
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
    case LDAP_TIMEOUT:
    case LDAP_TIMELIMIT_EXCEEDED:
    case LDAP_BUSY:
    case LDAP_UNAVAILABLE:
    case LDAP_ADMINLIMIT_EXCEEDED:
    case LDAP_LOCAL_ERROR:
    case LDAP_NO_MEMORY: return ErrorKind::kTemporary;
    case LDAP_NO_SUCH_OBJECT:
    case LDAP_NO_SUCH_ATTRIBUTE: return ErrorKind::kNotFound;
    case LDAP_ALREADY_EXISTS:
    case LDAP_TYPE_OR_VALUE_EXISTS: return ErrorKind::kExists;
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
    case LDAP_INAPPROPRIATE_AUTH: return ErrorKind::kPermission;
    case LDAP_INVALID_CREDENTIALS: return ErrorKind::kAuthFailed;
    case LDAP_OBJECT_CLASS_VIOLATION:
    case LDAP_INVALID_SYNTAX:
    case LDAP_UNDEFINED_TYPE:
    case LDAP_CONSTRAINT_VIOLATION:
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_NAMING_VIOLATION:
    case LDAP_FILTER_ERROR:
    case LDAP_NOT_ALLOWED_ON_NONLEAF:
    case LDAP_INAPPROPRIATE_MATCHING: return ErrorKind::kInvalid;
    default: return ErrorKind::kInternal;
  }
}

std::string lower(std::string_view s) { return ascii_lower(s); }

}  // namespace

const std::vector<std::string>& Entry::values(std::string_view name) const {
  static const std::vector<std::string> kNone;
  auto it = attributes.find(lower(name));
  return it == attributes.end() ? kNone : it->second;
}

std::string Entry::first(std::string_view name) const {
  const auto& v = values(name);
  return v.empty() ? std::string() : v.front();
}

bool Entry::has_class(std::string_view object_class) const {
  for (const std::string& c : values("objectclass")) {
    if (iequals(c, object_class)) return true;
  }
  return false;
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& uris,
                                                     std::chrono::milliseconds timeout) {
  LDAP* ld = nullptr;
  int rc = ldap_initialize(&ld, uris.c_str());
  if (rc != LDAP_SUCCESS || ld == nullptr) {
    return fail(ErrorKind::kInvalid,
                "cannot use LDAP URIs '" + uris + "'; check [directory.ldap] uris",
                ldap_err2string(rc));
  }
  std::unique_ptr<Connection> c(new Connection(ld, uris, timeout));
  int version = LDAP_VERSION3;
  timeval tv = to_timeval(timeout);
  int restart = 1;
  if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld, LDAP_OPT_RESTART, restart ? LDAP_OPT_ON : LDAP_OPT_OFF) !=
          LDAP_OPT_SUCCESS) {
    return fail(ErrorKind::kInternal, "cannot set libldap options");
  }
  return c;
}

Connection::~Connection() {
  if (ld_ != nullptr) ldap_unbind_ext_s(ld_, nullptr, nullptr);
}

Error Connection::error(int rc, std::string_view what, std::string_view target) {
  if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR) broken_ = true;
  if (rc == LDAP_TIMEOUT) broken_ = timed_out_ = true;
  std::string detail = "LDAP " + std::string(what) + " of '" + std::string(target) + "' on " +
                       uris_ + ": " + ldap_err2string(rc);
  char* diagnostic = nullptr;
  if (ldap_get_option(ld_, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic) == LDAP_OPT_SUCCESS &&
      diagnostic != nullptr) {
    if (*diagnostic != '\0') detail += std::string(" (") + diagnostic + ")";
    ldap_memfree(diagnostic);
  }
  ErrorKind kind = kind_of(rc);
  std::string message;
  switch (kind) {
    case ErrorKind::kTemporary:
      message = "the LDAP server (" + uris_ + ") " +
                (rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED
                     ? "did not answer in time"
                     : std::string("is not available: ") + ldap_err2string(rc)) +
                "; try again later";
      break;
    case ErrorKind::kPermission:
      message = "the LDAP server refused the " + std::string(what) + " of " + std::string(target) +
                ": " + ldap_err2string(rc);
      break;
    case ErrorKind::kInvalid:
      message = "the LDAP server rejected the " + std::string(what) + " of " + std::string(target) +
                ": " + ldap_err2string(rc) + " (is docs/ldap/courier.schema loaded?)";
      break;
    default:
      message = "LDAP " + std::string(what) + " of " + std::string(target) +
                " failed: " + ldap_err2string(rc);
  }
  return Error(kind, std::move(message), std::move(detail));
}

Status Connection::bind(const Identity& identity) {
  bound_as_.reset();
  berval cred = as_berval(identity.password);
  int rc = ldap_sasl_bind_s(ld_, identity.dn.empty() ? nullptr : identity.dn.c_str(),
                            LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
  if (rc != LDAP_SUCCESS)
    return fail(error(rc, "bind", identity.dn.empty() ? "anonymous" : identity.dn));
  bound_as_ = identity;
  return ok();
}

Result<std::vector<Entry>> Connection::search(const std::string& base, Scope scope,
                                              const std::string& filter,
                                              const std::vector<std::string>& attributes,
                                              int size_limit) {
  std::vector<char*> attrs;
  attrs.reserve(attributes.size() + 1);
  for (const std::string& a : attributes) attrs.push_back(const_cast<char*>(a.c_str()));
  attrs.push_back(nullptr);
  int ldap_scope = scope == Scope::kBase       ? LDAP_SCOPE_BASE
                   : scope == Scope::kOneLevel ? LDAP_SCOPE_ONELEVEL
                                               : LDAP_SCOPE_SUBTREE;
  timeval tv = to_timeval(timeout_);
  LDAPMessage* res = nullptr;
  int rc = ldap_search_ext_s(ld_, base.c_str(), ldap_scope, filter.c_str(),
                             attributes.empty() ? nullptr : attrs.data(), 0, nullptr, nullptr, &tv,
                             size_limit, &res);
  std::unique_ptr<LDAPMessage, int (*)(LDAPMessage*)> holder(res, ldap_msgfree);
  if (rc == LDAP_NO_SUCH_OBJECT) return std::vector<Entry>{};
  if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
    return fail(error(rc, "search", base + " " + filter));
  }
  std::vector<Entry> out;
  for (LDAPMessage* e = ldap_first_entry(ld_, res); e != nullptr; e = ldap_next_entry(ld_, e)) {
    Entry entry;
    if (char* dn = ldap_get_dn(ld_, e)) {
      entry.dn = dn;
      ldap_memfree(dn);
    }
    BerElement* ber = nullptr;
    for (char* a = ldap_first_attribute(ld_, e, &ber); a != nullptr;
         a = ldap_next_attribute(ld_, e, ber)) {
      std::vector<std::string>& values = entry.attributes[lower(a)];
      if (berval** vals = ldap_get_values_len(ld_, e, a)) {
        for (berval** v = vals; *v != nullptr; ++v) values.emplace_back((*v)->bv_val, (*v)->bv_len);
        ldap_value_free_len(vals);
      }
      ldap_memfree(a);
    }
    if (ber != nullptr) ber_free(ber, 0);
    out.push_back(std::move(entry));
  }
  return out;
}

Status Connection::add(const std::string& dn, const Attributes& attributes) {
  std::vector<Modification> mods;
  for (const auto& [name, values] : attributes) {
    mods.push_back({Modification::Op::kAdd, name, values});
  }
  ModArrays arrays;
  arrays.build(mods);
  int rc = ldap_add_ext_s(ld_, dn.c_str(), arrays.mod_ptrs.data(), nullptr, nullptr);
  if (rc != LDAP_SUCCESS) return fail(error(rc, "add", dn));
  return ok();
}

Status Connection::modify(const std::string& dn, const std::vector<Modification>& modifications) {
  ModArrays arrays;
  arrays.build(modifications);
  int rc = ldap_modify_ext_s(ld_, dn.c_str(), arrays.mod_ptrs.data(), nullptr, nullptr);
  if (rc != LDAP_SUCCESS) return fail(error(rc, "change", dn));
  return ok();
}

Status Connection::remove(const std::string& dn) {
  int rc = ldap_delete_ext_s(ld_, dn.c_str(), nullptr, nullptr);
  if (rc != LDAP_SUCCESS) return fail(error(rc, "delete", dn));
  return ok();
}

// ---- the pool ----

ConnectionPool::ConnectionPool(std::string uris, std::chrono::milliseconds timeout, int size)
    : uris_(std::move(uris)), timeout_(timeout), size_(size < 0 ? 1 : size) {}

int ConnectionPool::opened() const {
  std::lock_guard lock(mutex_);
  return opened_;
}

int ConnectionPool::waiting() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(waiters_.size());
}

Result<std::unique_ptr<Connection>> ConnectionPool::open_connection() {
  auto c = Connection::open(uris_, timeout_);
  if (!c) release(nullptr);
  return c;
}

Result<std::unique_ptr<Connection>> ConnectionPool::acquire() {
  std::unique_lock lock(mutex_);
  // Only when nobody queues before us may we take a free slot ourselves.
  if (waiters_.empty()) {
    if (!idle_.empty()) {
      ++in_use_;
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    if (size_ == 0 || in_use_ < size_) {
      ++in_use_;
      ++opened_;
      lock.unlock();
      return open_connection();
    }
  }
  Waiter me;
  waiters_.push_back(&me);
  me.granted_cv.wait_for(lock, timeout_, [&] { return me.granted; });
  if (!me.granted) {
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &me));
    return fail(ErrorKind::kTemporary,
                "all " + std::to_string(size_) +
                    " LDAP connections stayed busy; try again later or raise "
                    "[directory.ldap] pool_size");
  }
  // release() counted the slot as ours already.
  if (me.connection) return std::move(me.connection);
  ++opened_;
  lock.unlock();
  return open_connection();
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (connection && connection->broken()) connection.reset();
  if (!waiters_.empty()) {
    // The slot passes to the oldest waiter, with the connection if it still
    // works, else with the right to open a new one.
    Waiter* next = waiters_.front();
    waiters_.pop_front();
    next->connection = std::move(connection);
    next->granted = true;
    next->granted_cv.notify_one();
    return;
  }
  --in_use_;
  if (connection) idle_.push_back(std::move(connection));
}

Status ConnectionPool::run(const Identity& identity, const std::function<Status(Connection&)>& op) {
  for (int attempt = 0;; ++attempt) {
    auto c = acquire();
    if (!c) return fail(std::move(c).error());
    Connection& conn = **c;
    Status result = ok();
    if (!conn.bound_as() || !(*conn.bound_as() == identity)) result = conn.bind(identity);
    if (result) result = op(conn);
    bool retry = conn.broken() && !conn.timed_out() && attempt == 0;
    // A connection that failed a bind as someone else is anonymous now; it
    // rebinds on its next use, so it may go back to the pool.
    release(std::move(*c));
    if (!retry) return result;
  }
}

}  // namespace hm::directory::ldap
