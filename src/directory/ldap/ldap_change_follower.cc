#include "directory/ldap/ldap_change_follower.h"

#include <fcntl.h>
#include <lber.h>
#include <ldap.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>

#include "base/log.h"

namespace hm::directory::ldap {
namespace {

using namespace std::chrono_literals;

constexpr auto kFirstRetry = std::chrono::milliseconds(1s);
constexpr auto kLongestRetry = std::chrono::milliseconds(30s);
// How long to sleep between reads when nothing wakes us: only a safety net,
// the socket and the wake pipe are what normally end the wait.
constexpr int kPollMs = 250;

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

struct LdapHandle {
  LDAP* ld = nullptr;
  ~LdapHandle() {
    if (ld != nullptr) ldap_unbind_ext(ld, nullptr, nullptr);
  }
};

struct Message {
  LDAPMessage* msg = nullptr;
  ~Message() {
    if (msg != nullptr) ldap_msgfree(msg);
  }
};

struct BerValue {
  berval bv{};
  ~BerValue() {
    if (bv.bv_val != nullptr) ber_memfree(bv.bv_val);
  }
};

// The Sync Request Control's value (RFC 4533 2.2): refreshAndPersist, no
// cookie (so the refresh stage sends the present content, which we skip),
// reloadHint left at its default FALSE.
bool encode_sync_request(BerValue& out) {
  BerElement* ber = ber_alloc_t(LBER_USE_DER);
  if (ber == nullptr) return false;
  bool ok = ber_printf(ber, "{e}", static_cast<ber_int_t>(LDAP_SYNC_REFRESH_AND_PERSIST)) != -1 &&
            ber_flatten2(ber, &out.bv, 1) == 0;
  ber_free(ber, 1);
  return ok;
}

std::string diagnostic(LDAP* ld) {
  char* text = nullptr;
  std::string out;
  if (ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &text) == LDAP_OPT_SUCCESS &&
      text != nullptr) {
    if (*text != '\0') out = std::string(" (") + text + ")";
    ldap_memfree(text);
  }
  return out;
}

bool connection_lost(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
         rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

}  // namespace

// True when a Sync Info message (RFC 4533 2.5) ends the refresh stage: a
// refreshDelete or refreshPresent whose refreshDone is TRUE (the default).
bool sync_info_ends_refresh(std::string_view value) {
  // ber_init copies the bytes; the berval only has to live for the call.
  berval bv{static_cast<ber_len_t>(value.size()), const_cast<char*>(value.data())};
  BerElement* ber = ber_init(&bv);
  if (ber == nullptr) return false;
  bool done = false;
  ber_len_t len = 0;
  ber_tag_t tag = ber_peek_tag(ber, &len);
  if (tag == LDAP_TAG_SYNC_REFRESH_DELETE || tag == LDAP_TAG_SYNC_REFRESH_PRESENT) {
    done = true;
    if (ber_scanf(ber, "{") != LBER_ERROR) {
      tag = ber_peek_tag(ber, &len);
      if (tag == LDAP_TAG_SYNC_COOKIE) {
        ber_scanf(ber, "x");
        tag = ber_peek_tag(ber, &len);
      }
      if (tag == LBER_BOOLEAN) {
        ber_int_t flag = 1;
        if (ber_scanf(ber, "b", &flag) != LBER_ERROR) done = flag != 0;
      }
    }
  }
  ber_free(ber, 1);
  return done;
}

ChangeFollower::ChangeFollower(FollowOptions options, std::function<void()> on_change)
    : options_(std::move(options)), on_change_(std::move(on_change)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    wake_read_ = fds[0];
    wake_write_ = fds[1];
  }  // else: stopping is noticed at the next kPollMs tick instead
  thread_ = std::thread([this] { run(); });
}

ChangeFollower::~ChangeFollower() {
  stopping_.store(true, std::memory_order_release);
  if (wake_write_ >= 0) {
    char byte = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_write_, &byte, 1);
  }
  if (thread_.joinable()) thread_.join();
  if (wake_read_ >= 0) ::close(wake_read_);
  if (wake_write_ >= 0) ::close(wake_write_);
}

bool ChangeFollower::pause(std::chrono::milliseconds pause) {
  auto deadline = std::chrono::steady_clock::now() + pause;
  while (!stopping_.load(std::memory_order_acquire)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return true;
    pollfd p{wake_read_, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), kPollMs)));
  }
  return false;
}

void ChangeFollower::run() {
  auto retry = kFirstRetry;
  while (!stopping_.load(std::memory_order_acquire)) {
    bool followed = false;
    Outcome outcome = follow_once(followed);
    state_.store(State::kConnecting, std::memory_order_release);
    if (outcome == Outcome::kStopped) return;
    // Not following from now on: whatever is cached may change unseen, so
    // it goes, and the caches serve with their TTL until following resumes
    // (which clears them once more).
    on_change_();
    if (followed) retry = kFirstRetry;
    if (outcome == Outcome::kUnsupported || outcome == Outcome::kSizeLimited) {
      const std::string why =
          outcome == Outcome::kUnsupported
              ? "does not offer content synchronization (RFC 4533; load slapd's syncprov "
                "overlay)"
              : "stops the first read of the tree at its size limit (give the bind DN "
                "`limits ... size=unlimited` in slapd.conf)";
      if (options_.mode == FollowMode::kAuto) {
        // No syncprov is an ordinary setup; a size limit with syncprov
        // loaded is a mistake worth a warning.
        if (outcome == Outcome::kUnsupported) {
          log::info(
              "LDAP: {} {}, so entries changed or deleted by other tools are used until "
              "cache_ttl_s runs out; see docs/ldap.md",
              options_.uris, why);
        } else {
          log::warning(
              "LDAP: {} {}, so entries changed or deleted by other tools are used until "
              "cache_ttl_s runs out; see docs/ldap.md",
              options_.uris, why);
        }
        state_.store(State::kUnsupported, std::memory_order_release);
        return;
      }
      log::error(
          "LDAP: follow_changes = \"on\" but {} {}; entries changed by other tools are "
          "used until cache_ttl_s runs out; trying again in {} s (docs/ldap.md)",
          options_.uris, why, kLongestRetry.count() / 1000);
      if (!pause(kLongestRetry)) return;
      continue;
    }
    if (!pause(retry)) return;
    retry = std::min(retry * 2, kLongestRetry);
  }
}

ChangeFollower::Outcome ChangeFollower::follow_once(bool& followed) {
  LdapHandle h;
  int rc = ldap_initialize(&h.ld, options_.uris.c_str());
  if (rc != LDAP_SUCCESS || h.ld == nullptr) {
    log::error("LDAP: cannot follow changes on '{}': {}", options_.uris, ldap_err2string(rc));
    return Outcome::kFailed;
  }
  int version = LDAP_VERSION3;
  timeval tv = to_timeval(options_.timeout);
  if (ldap_set_option(h.ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
      ldap_set_option(h.ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
      ldap_set_option(h.ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
      ldap_set_option(h.ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
      ldap_set_option(h.ld, LDAP_OPT_RESTART, LDAP_OPT_ON) != LDAP_OPT_SUCCESS) {
    log::error("LDAP: cannot set libldap options for following changes");
    return Outcome::kFailed;
  }

  const Identity& who = options_.identity;
  berval cred{};
  cred.bv_len = who.password.size();
  cred.bv_val = const_cast<char*>(who.password.data());
  rc = ldap_sasl_bind_s(h.ld, who.dn.empty() ? nullptr : who.dn.c_str(), LDAP_SASL_SIMPLE, &cred,
                        nullptr, nullptr, nullptr);
  if (stopping_.load(std::memory_order_acquire)) return Outcome::kStopped;
  if (rc != LDAP_SUCCESS) {
    log::warning("LDAP: cannot follow changes: bind as {} on {}: {}{}",
                 who.dn.empty() ? "anonymous" : who.dn, options_.uris, ldap_err2string(rc),
                 diagnostic(h.ld));
    return connection_lost(rc) ? Outcome::kDropped : Outcome::kFailed;
  }

  BerValue value;
  if (!encode_sync_request(value)) {
    log::error("LDAP: cannot encode the content synchronization request");
    return Outcome::kFailed;
  }
  LDAPControl control{};
  control.ldctl_oid = const_cast<char*>(LDAP_CONTROL_SYNC);
  control.ldctl_value = value.bv;
  control.ldctl_iscritical = 1;  // a server without syncprov must refuse, not ignore it
  LDAPControl* controls[] = {&control, nullptr};
  char no_attributes[] = "1.1";  // only DNs: the refresh stage is read and dropped
  char* attributes[] = {no_attributes, nullptr};
  int msgid = 0;
  rc = ldap_search_ext(h.ld, options_.base.c_str(), LDAP_SCOPE_SUBTREE, "(objectClass=*)",
                       attributes, 0, controls, nullptr, nullptr, 0, &msgid);
  if (rc != LDAP_SUCCESS) {
    log::warning("LDAP: cannot follow changes: search on {}: {}{}", options_.uris,
                 ldap_err2string(rc), diagnostic(h.ld));
    return connection_lost(rc) ? Outcome::kDropped : Outcome::kFailed;
  }

  int fd = -1;
  ldap_get_option(h.ld, LDAP_OPT_DESC, &fd);
  bool refreshing = true;
  while (!stopping_.load(std::memory_order_acquire)) {
    // Everything that has arrived, then one on_change for the lot.
    bool changed = false;
    for (;;) {
      timeval zero{};
      Message m;
      int type = ldap_result(h.ld, msgid, LDAP_MSG_ONE, &zero, &m.msg);
      if (type == 0) break;
      if (type == -1) {
        int err = LDAP_SERVER_DOWN;
        ldap_get_option(h.ld, LDAP_OPT_RESULT_CODE, &err);
        log::warning(
            "LDAP: lost the connection that follows changes on {}: {}; cached entries "
            "dropped, reconnecting",
            options_.uris, ldap_err2string(err));
        return Outcome::kDropped;
      }
      if (type == LDAP_RES_SEARCH_ENTRY) {
        // A present entry while refreshing; an add, modify, rename or
        // delete after.
        if (!refreshing) changed = true;
      } else if (type == LDAP_RES_INTERMEDIATE) {
        char* oid = nullptr;
        berval* data = nullptr;
        if (ldap_parse_intermediate(h.ld, m.msg, &oid, &data, nullptr, 0) == LDAP_SUCCESS) {
          bool sync_info = oid != nullptr && std::string_view(oid) == LDAP_SYNC_INFO;
          if (sync_info && refreshing && data != nullptr &&
              sync_info_ends_refresh(std::string_view(data->bv_val, data->bv_len))) {
            refreshing = false;
            followed = true;
            // Clear before saying so, so that whoever waits for kFollowing
            // finds caches that nothing from before can linger in.
            on_change_();
            changed = false;
            state_.store(State::kFollowing, std::memory_order_release);
            sessions_.fetch_add(1, std::memory_order_acq_rel);
            log::info("LDAP: following changes on {} below {} (content synchronization)",
                      options_.uris, options_.base);
          } else if (sync_info && !refreshing) {
            changed = true;  // e.g. a syncIdSet of deleted entries
          }
        }
        if (oid != nullptr) ber_memfree(oid);
        if (data != nullptr) ber_bvfree(data);
      } else if (type == LDAP_RES_SEARCH_RESULT) {
        if (changed) on_change_();
        int err = LDAP_OTHER;
        char* text = nullptr;
        ldap_parse_result(h.ld, m.msg, &err, nullptr, &text, nullptr, nullptr, 0);
        std::string detail = text != nullptr && *text != '\0' ? std::string(" (") + text + ")" : "";
        if (text != nullptr) ldap_memfree(text);
        if (err == LDAP_UNAVAILABLE_CRITICAL_EXTENSION) return Outcome::kUnsupported;
        if (err == LDAP_SIZELIMIT_EXCEEDED || err == LDAP_ADMINLIMIT_EXCEEDED) {
          return Outcome::kSizeLimited;
        }
        if (err == LDAP_SYNC_REFRESH_REQUIRED) return Outcome::kDropped;
        log::warning("LDAP: the search that follows changes on {} ended: {}{}", options_.uris,
                     ldap_err2string(err), detail);
        return connection_lost(err) || err == LDAP_SUCCESS ? Outcome::kDropped : Outcome::kFailed;
      }
    }
    if (changed) on_change_();
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    ::poll(p, 2, kPollMs);
  }
  return Outcome::kStopped;
}

}  // namespace hm::directory::ldap
