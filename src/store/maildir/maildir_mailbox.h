#pragma once
// A Maildir folder opened as a store::Mailbox (store/mailbox.h): the view
// its owner syncs, over a MaildirFolder (the UID list and the files) and
// the folder's dovecot-keywords (maildir_keywords.h).
//
// Flags: the info letters D F R S T are \Draft \Flagged \Answered \Seen
// \Deleted; P (passed) has no IMAP flag and is kept as it is; lower-case
// letters are keywords, bit i of the mask for the letter 'a' + i, named by
// dovecot-keywords (keywords()[i]; "" for a letter the file does not name).
//
// \Recent: a read-write view's sync claims the UIDs nobody has claimed yet
// (the UID list's "recent" line, under the folder's lock); those are recent
// in this view only.
//
// Memory: the view is one MessageMeta per message (48 bytes); the names
// stay in the MaildirFolder, once.
//
// Thread-safety: one thread at a time (store/mailbox.h).

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <sys/stat.h>

#include "base/unique_fd.h"
#include "store/mailbox.h"
#include "store/maildir/maildir_account.h"
#include "store/maildir/maildir_folder.h"
#include "store/maildir/maildir_keywords.h"
#include "store/maildir/shared_index.h"

namespace hm::store::maildir {

// The flag letters of `flags` (Flag bits), sorted.
std::string flag_letters(uint8_t flags);
// The Flag bits and keyword mask of the info letters `letters`.
uint8_t flags_of_letters(std::string_view letters);
KeywordMask keywords_of_letters(std::string_view letters);

class MaildirMailbox final : public Mailbox {
 public:
  // Opens the folder at `path` (a Maildir) of `account`. kNotFound when it
  // does not exist; kPermission when it (or its cur/, new/) is a link.
  static Result<std::unique_ptr<MaildirMailbox>> open(std::shared_ptr<const MaildirAccount> account,
                                                      const std::string& path, bool read_only);
  // Writes the index's waiting values (Mailbox::cache: at the latest on
  // close).
  ~MaildirMailbox() override;

  bool read_only() const override { return read_only_; }
  MailboxStatus status() const override;
  const std::vector<MessageMeta>& messages() const override { return view_; }
  std::optional<size_t> find(uint32_t uid) const override;
  const std::vector<std::string>& keywords() const override { return keywords_; }
  Result<MailboxChanges> sync() override;
  Result<std::string> read(uint32_t uid) override;
  // Reads 64 KB at a time until the header's end is in.
  Result<std::string> read_header(uint32_t uid) override;
  std::optional<std::string> cached(uint32_t uid, CacheKey key) override;
  void cache(uint32_t uid, CacheKey key, std::string value) override;
  Result<FlagResult> set_flags(const std::vector<uint32_t>& uids,
                               const FlagChange& change) override;
  Result<std::vector<uint32_t>> expunge(const std::vector<uint32_t>* uids) override;
  Result<std::vector<uint32_t>> expunged_since(uint64_t modseq) override;

  // For MaildirMailboxes (copy and move).
  MaildirFolder& folder() { return *folder_; }
  const MaildirAccount& account() const { return *account_; }
  // MOVE's second half: removes the messages `uids` of the view whatever
  // their flags, and drops them from the view.
  Result<std::vector<uint32_t>> remove(const std::vector<uint32_t>& uids);
  // The size of message `uid` as stored (",S=", else its file's size).
  Result<uint64_t> stored_size(uint32_t uid) const;

 private:
  MaildirMailbox(std::shared_ptr<const MaildirAccount> account, std::unique_ptr<MaildirFolder> f,
                 bool read_only);
  // The view's entry for a message of the folder; its wire size read from
  // the file when the name does not say it.
  MessageMeta meta_of(const MessageInfo& m);
  // The file of a message the folder knows (in the view or not); with
  // `header_only`, its beginning up to at least the header's end.
  Result<std::string> read_file(uint32_t uid, bool header_only);
  // Rereads dovecot-keywords when it changed; true when keywords_ grew.
  Result<bool> refresh_keywords();
  bool claimed(uint32_t uid) const;
  Result<std::vector<uint32_t>> remove_where(const std::vector<uint32_t>* uids, bool deleted_only);

  std::shared_ptr<const MaildirAccount> account_;
  std::unique_ptr<MaildirFolder> folder_;
  bool read_only_;
  std::vector<MessageMeta> view_;
  uint32_t uid_validity_ = 0;
  uint32_t uid_next_ = 1;
  uint64_t highest_modseq_ = 1;
  // The folder may know more than the view (a change through it found
  // others' changes too): the next sync compares them.
  bool pending_ = false;
  KeywordNames keywords_;
  struct stat keywords_stat_ {};
  bool keywords_stat_known_ = false;
  std::vector<std::pair<uint32_t, uint32_t>> claims_;  // (first, last], recent here
  std::unordered_map<uint32_t, uint64_t> wire_sizes_;  // of files whose names lack ",W="

  // Mailbox::cache and the wire sizes of other tools' files: the folder's
  // persistent index (message_index.h), shared with this process's other
  // mailboxes of the folder (shared_index.h), for UIDVALIDITY
  // index_validity_. Values wait in memory up to account.cache_bytes, then
  // are written; the rest is written when the mailbox is closed. nullptr
  // when the folder could not be inspected: nothing is cached then.
  std::shared_ptr<SharedIndex> index_;
  uint32_t index_validity_ = 0;
};

}  // namespace hm::store::maildir
