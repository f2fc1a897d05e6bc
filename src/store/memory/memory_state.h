#pragma once
// The state behind store/memory (memory_store.h): what an account and its
// folders hold, shared by its Mailboxes and Mailbox objects, and the rules
// they share (names, keywords, quota). Internal to store/memory.
//
// Thread-safety: every field of AccountState and of its folders is guarded
// by AccountState::mutex.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/mailbox.h"

namespace hm::store::memory {

struct StoredMail {
  MessageMeta meta;                         // `recent` unused: that is a view's
  std::shared_ptr<const std::string> text;  // LF line ends; shared by copies
};

struct MemFolder {
  bool removed = false;  // deleted: views on it fail with kNotFound
  uint32_t uid_validity = 0;
  uint32_t uid_next = 1;
  uint64_t highest_modseq = 1;
  // UIDs below were seen by a read-write view already: not \Recent for
  // any other.
  uint32_t recent_floor = 1;
  std::vector<std::string> keywords;
  std::map<uint32_t, StoredMail> messages;
  // (MODSEQ, UID) of expunged messages, oldest first, at most
  // kExpungeRecord; entries up to `expunge_floor` were dropped.
  std::deque<std::pair<uint64_t, uint32_t>> expunged;
  uint64_t expunge_floor = 0;
  std::map<uint32_t, std::map<std::string, std::string, std::less<>>> cache;
  std::vector<std::string> special_use;
};

struct AccountState {
  std::mutex mutex;
  uint64_t quota_bytes = 0;
  uint64_t used_bytes = 0;
  uint64_t used_messages = 0;
  bool initialized = false;
  bool unavailable = false;  // MemoryAccount::set_unavailable
  uint32_t last_uid_validity = 0;
  std::map<FolderName, std::shared_ptr<MemFolder>> folders;  // with the INBOX, {}
  std::set<FolderName> subscribed;

  // A new folder with a UIDVALIDITY no earlier folder of the account had.
  std::shared_ptr<MemFolder> new_folder();
  // The folder, or kNotFound.
  Result<std::shared_ptr<MemFolder>> find(const FolderName& name);
  // kTemporary while the account is set unavailable.
  Status usable() const;
  // kOverQuota when `bytes` more would pass the quota.
  Status check_quota(uint64_t bytes) const;
};

// The name rule of store/maildir/folder_names.h (kInvalid).
Status check_name(const FolderName& name);

// kInvalid unless `flags` holds only Flag bits.
Status check_flags(uint8_t flags);

// The mask of `names` in the folder's keywords, adding those it lacks:
// kInvalid for a name the store cannot keep, kLimit (nothing added) past
// kMaxKeywords.
Result<KeywordMask> keyword_mask(MemFolder& folder, const std::vector<std::string>& names);

// Puts a message into `folder` under the next UID with a new MODSEQ (the
// caller checked the quota and the UID space); returns its UID.
uint32_t add_message(AccountState& account, MemFolder& folder, StoredMail mail);

// Takes the messages `uids` (present ones) out of `folder` under one new
// MODSEQ, recording them as expunged.
void remove_messages(AccountState& account, MemFolder& folder, const std::vector<uint32_t>& uids);

// kLimit when `count` more UIDs would pass the largest.
Status check_uid_space(const MemFolder& folder, size_t count);

// The folder's status as STATUS sees it (recent 0).
MailboxStatus folder_status(const MemFolder& folder);

}  // namespace hm::store::memory
