#pragma once
// A folder of a MemoryAccount opened as a store::Mailbox: the view of
// mailbox.h over the shared MemFolder. Internal to store/memory; made by
// its Mailboxes (memory_store.h).
//
// The view remembers the folder's UIDNEXT and HIGHESTMODSEQ at its last
// sync: a sync with nothing new is one comparison, and messages from
// UIDNEXT on are the added ones. \Recent goes to the first read-write view
// that sees a message (MemFolder::recent_floor).
//
// Thread-safety: one thread at a time (mailbox.h); the folder is read and
// changed under the account's mutex.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/mailbox.h"
#include "store/memory/memory_state.h"
#include "store/memory/memory_store.h"

namespace hm::store::memory {

class MemoryMailbox final : public Mailbox {
 public:
  // Opens a view of `folder`, which the caller found under `lock` (held).
  MemoryMailbox(std::shared_ptr<MemoryAccount> account, std::shared_ptr<MemFolder> folder,
                bool read_only, const std::unique_lock<std::mutex>& lock);

  bool read_only() const override { return read_only_; }
  MailboxStatus status() const override;
  const std::vector<MessageMeta>& messages() const override { return view_; }
  std::optional<size_t> find(uint32_t uid) const override;
  const std::vector<std::string>& keywords() const override { return keywords_; }
  Result<MailboxChanges> sync() override;
  Result<std::string> read(uint32_t uid) override;
  std::optional<std::string> cached(uint32_t uid, CacheKey key) override;
  void cache(uint32_t uid, CacheKey key, std::string value) override;
  Result<FlagResult> set_flags(const std::vector<uint32_t>& uids,
                               const FlagChange& change) override;
  Result<std::vector<uint32_t>> expunge(const std::vector<uint32_t>* uids) override;
  Result<std::vector<uint32_t>> expunged_since(uint64_t modseq) override;

  // For Mailboxes::copy and move, under the account's mutex.
  const MemoryAccount* account() const { return account_.get(); }
  const std::shared_ptr<MemFolder>& folder() const { return folder_; }
  // The mutex is held and folder() not removed: nothing that another
  // object changed is missing from the view (so that a change of this
  // view's own may advance what it has seen).
  bool caught_up() const;
  // Drops `uids` (ascending), removed from the folder by this view's own
  // change, from the view; with `caught_up` (as it was before the change)
  // the view has now seen the folder's HIGHESTMODSEQ.
  void drop(const std::vector<uint32_t>& uids, bool caught_up);

 private:
  Result<MailboxChanges> sync_locked();

  std::shared_ptr<MemoryAccount> account_;
  std::shared_ptr<MemFolder> folder_;
  const bool read_only_;
  const uint32_t uid_validity_;
  std::vector<MessageMeta> view_;
  std::vector<std::string> keywords_;
  size_t keywords_at_sync_ = 0;
  uint32_t seen_uid_next_ = 1;
  uint64_t seen_modseq_ = 0;
};

}  // namespace hm::store::memory
