#pragma once
// store/mailbox.h kept in memory: one account's folders and messages in
// std::maps, for tests of the protocols above the store (IMAP sessions,
// POP3, the admin's quota view). It keeps every promise of mailbox.h, as
// the Maildir backend does, and the contract suite
// (tests/unit/store/mailbox_contract.h) checks both.
//
// An account's state is a MemoryAccount, shared by every Mailboxes opened
// on it (as several sessions share one Maildir): a change made through one
// is seen by the others' views at their next sync(). The first open()
// creates the special-use folders Sent, Drafts, Trash, Junk and Archive
// (subscribed), as MailStore::open_mailboxes does for a new account.
//
// What the memory backend chose where mailbox.h leaves room (the Maildir
// backend may differ; the contract suite checks none of it):
// - keyword names are compared without regard to ASCII case, the first
//   spelling is kept; a name must be an IMAP atom not starting with '\';
// - MOVE is not refused over quota (the account's usage does not grow);
// - a folder's record of expunged UIDs keeps the last kExpungeRecord of
//   them; SUBSCRIBE needs an existing folder, unsubscribing never fails;
//   deleting a folder drops its subscription;
// - MailboxChanges::expunged holds UIDs; a message's position in the view
//   before the sync is the count of new-view UIDs below it plus its index
//   in `expunged` (added messages come after all of them);
// - the cache keeps "envelope", "bodystructure", "body" and
//   "header:<FIELD>" values up to kMaxCachedValue bytes, others are ignored.
//
// Thread-safety: each object is used by one thread at a time (mailbox.h);
// objects of one account may be used from any threads at once (one mutex
// in the account serializes their changes). Nothing blocks but that mutex.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "store/mailbox.h"

namespace hm::store::memory {

inline constexpr size_t kExpungeRecord = 100'000;
inline constexpr size_t kMaxCachedValue = 64 * 1024;

struct AccountState;  // memory_state.h

// One account's mail. Create with make_memory_account.
class MemoryAccount {
 public:
  explicit MemoryAccount(uint64_t quota_bytes);
  ~MemoryAccount();
  MemoryAccount(const MemoryAccount&) = delete;
  MemoryAccount& operator=(const MemoryAccount&) = delete;

  // A new quota (0: none), as when the directory's entry changes; applies
  // to the next append or copy.
  void set_quota(uint64_t quota_bytes);
  // Test hook: while true, every call that can fail fails with kTemporary
  // (as a Maildir on a failing disk would) and changes nothing; cached()
  // finds nothing.
  void set_unavailable(bool unavailable);

  AccountState& state() { return *state_; }

 private:
  std::unique_ptr<AccountState> state_;
};

// An empty account (not even the INBOX's special-use siblings until the
// first open) under a quota of `quota_bytes` (0: none).
std::shared_ptr<MemoryAccount> make_memory_account(uint64_t quota_bytes);

// The account's folders, as MailStore::open_mailboxes gives them; the
// first open creates the special-use folders.
std::unique_ptr<Mailboxes> open(std::shared_ptr<MemoryAccount> account);

}  // namespace hm::store::memory
