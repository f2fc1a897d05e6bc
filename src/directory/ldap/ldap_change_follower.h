#pragma once
// hm::directory::ldap::ChangeFollower: follows the changes made to the
// directory by any tool (ldapadd, ldapmodify, ldapdelete, another hostmail
// node) as they happen, so that LdapDirectory can drop its cached entries at
// once instead of serving them until their TTL runs out.
//
// It runs one search on a connection of its own, on a thread of its own,
// with the Content Synchronization control of RFC 4533 in refreshAndPersist
// mode (offered by slapd's `syncprov` overlay). The server first sends the
// present content (the refresh stage, read and ignored: only DNs are asked
// for), then a Sync Info message with refreshDone, then one message per
// entry added, modified, renamed or deleted for as long as the search runs.
//
// on_change() is called (on the follower's thread):
//   - when the refresh stage is done, i.e. whenever following (re)starts,
//     since anything may have changed while nobody was following;
//   - for every change notification after that, a burst of them read at once
//     counting as one;
//   - when the connection drops (slapd restarted, network), before
//     reconnecting with a growing pause (1 s, doubling, at most 30 s).
// It says only "something changed": a deleted entry comes with its DN alone
// and a modified one may have changed the very attribute a cache is keyed
// by, so the caller clears its caches rather than guessing which entries
// were affected.
//
// Modes: kOn follows and, when the server refuses the control (no syncprov:
// unavailableCriticalExtension) or its size limit ends the refresh stage,
// logs an error and tries again every 30 s; kAuto gives up after such a
// refusal, logging it once, and the caches keep their TTL. Other failures
// (server down, bind refused) are retried in both.
//
// Shutdown: the destructor wakes the thread through a pipe and joins it; a
// thread waiting for the server's answer or for its next attempt stops at
// once, one in the middle of connecting and binding within the timeout.
//
// Thread-safety: the public methods may be called from any thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "directory/ldap/ldap_connection.h"

namespace hm::directory::ldap {

// Whether the value of a Sync Info message (RFC 4533 2.5) ends the refresh
// stage: a refreshDelete or refreshPresent whose refreshDone is TRUE (the
// default). The bytes come from the LDAP server: anything is answered, never
// trusted (fuzz/ldap_sync_info_fuzz.cc).
bool sync_info_ends_refresh(std::string_view value);

enum class FollowMode { kOff, kAuto, kOn };

struct FollowOptions {
  std::string uris;  // space-separated, as libldap takes them
  std::string base;
  Identity identity;
  std::chrono::milliseconds timeout{5000};  // connect, bind
  FollowMode mode = FollowMode::kAuto;
};

class ChangeFollower {
 public:
  enum class State {
    kConnecting,   // not following yet, or reconnecting after a drop
    kFollowing,    // refresh done: every change is reported as it happens
    kUnsupported,  // kAuto only: the server has no syncprov, or its size limit
                   // stops the refresh; the thread has ended
  };

  // Starts the thread. on_change must be thread-safe and must not block.
  ChangeFollower(FollowOptions options, std::function<void()> on_change);
  ~ChangeFollower();
  ChangeFollower(const ChangeFollower&) = delete;
  ChangeFollower& operator=(const ChangeFollower&) = delete;

  State state() const { return state_.load(std::memory_order_acquire); }
  // How many times the refresh stage has completed (1 after the first
  // connection, more after reconnects); for tests.
  int sessions() const { return sessions_.load(std::memory_order_acquire); }

 private:
  enum class Outcome { kStopped, kDropped, kUnsupported, kSizeLimited, kFailed };

  void run();
  // One connection: bind, search, read until it ends. `followed` is set
  // once the refresh stage completed.
  Outcome follow_once(bool& followed);
  // Waits up to `pause` or until stop; false when stopping.
  bool pause(std::chrono::milliseconds pause);

  const FollowOptions options_;
  const std::function<void()> on_change_;
  std::atomic<State> state_{State::kConnecting};
  std::atomic<int> sessions_{0};
  std::atomic<bool> stopping_{false};
  int wake_read_ = -1;  // a pipe: the destructor writes a byte to wake the thread
  int wake_write_ = -1;
  std::thread thread_;  // last: started after everything above is ready
};

}  // namespace hm::directory::ldap
