#pragma once
// One account's Maildir++ tree as store::Mailboxes (store/mailbox.h): its
// folders (folder_names.h), each opened as a MaildirMailbox; APPEND, COPY
// and MOVE (maildir_append.h); the Maildir++ quota (maildir_quota.h); the
// special-use attributes and subscriptions (maildir_account.h).
//
// The first open of an account creates its INBOX (cur/ new/ tmp/) when
// missing and, once, the folders Sent, Drafts, Trash, Junk and Archive with
// their special-use attributes, subscribed; the special-use file's
// existence remembers that it was done, so a folder the user deletes is
// not made again.
//
// Quota: APPEND and COPY that would take the account past its quota fail
// with kOverQuota and add nothing; MOVE within the account frees what it
// takes and is not refused. Successful ones, expunges and deletes are
// recorded in maildirsize.
//
// Thread-safety: one thread at a time (store/mailbox.h).

#include <memory>

#include "store/mailbox.h"
#include "store/maildir/maildir_account.h"

namespace hm::store::maildir {

class MaildirMailbox;

class MaildirMailboxes final : public Mailboxes {
 public:
  static Result<std::unique_ptr<MaildirMailboxes>> open(MaildirAccount account);

  Result<std::vector<FolderInfo>> list() override;
  Status create(const FolderName& name, const std::vector<std::string>& special_use) override;
  Status remove(const FolderName& name) override;
  Status rename(const FolderName& from, const FolderName& to) override;
  Status subscribe(const FolderName& name, bool subscribed) override;
  Result<std::unique_ptr<Mailbox>> open(const FolderName& name, bool read_only) override;
  Result<MailboxStatus> status(const FolderName& name) override;
  Result<CopyResult> append(const FolderName& to, std::vector<AppendMessage> messages) override;
  Result<CopyResult> copy(Mailbox& from, const std::vector<uint32_t>& uids,
                          const FolderName& to) override;
  Result<CopyResult> move(Mailbox& from, const std::vector<uint32_t>& uids,
                          const FolderName& to) override;
  Result<QuotaStatus> quota() override;

 private:
  explicit MaildirMailboxes(std::shared_ptr<const MaildirAccount> account)
      : account_(std::move(account)) {}
  Status set_up();
  Result<std::string> path_of(const FolderName& name) const;
  // kOverQuota when `bytes` more would pass the quota.
  Status check_quota(uint64_t bytes);
  void record_quota(int64_t bytes, int64_t messages);
  Result<CopyResult> copy_from(MaildirMailbox& from, const std::vector<uint32_t>& uids,
                               const FolderName& to, bool check_quota_first);

  std::shared_ptr<const MaildirAccount> account_;
};

}  // namespace hm::store::maildir
