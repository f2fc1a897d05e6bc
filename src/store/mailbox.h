#pragma once
// One account's mail as readers see it: its folders, and a folder opened as
// a mailbox (messages by UID with flags, keywords, internal date, size and
// MODSEQ). This is the interface IMAP, POP3 and the web admin's quota view
// use; it knows no protocol syntax, as Dovecot's lib-storage knows no IMAP.
// Maildir++ is the backend (store/maildir/); store/memory/ is the same
// contract in memory, for tests of the protocols. Both pass one contract
// suite (tests/unit/store/mailbox_contract.h).
//
// Names: a folder is named by its parts ({"Archive", "2024"}); {} is the
// INBOX. Protocols map their own names (separator, namespace prefix,
// encoding) to parts; the store refuses parts that could leave the account
// (store/maildir/folder_names.h has the rule) with kInvalid.
//
// Views and sync: an open Mailbox holds a view, the messages as of its last
// sync(), in ascending UID order (IMAP's sequence number n is messages()[n-1]).
// The view changes only when its owner calls sync() or changes the mailbox
// through it (set_flags, expunge), so a protocol decides when other
// sessions' changes reach its client (IMAP may not announce an EXPUNGE
// during a FETCH). sync() is cheap when nothing changed (a few stat calls),
// so a session in IDLE may call it every second.
//
// Errors: kNotFound (no such folder or message), kExists, kInvalid (a bad
// name, a flag the store cannot keep, a change on a read-only view),
// kOverQuota (IMAP's [OVERQUOTA]), kLimit (too many keywords, a folder out
// of UIDs), kTemporary (I/O, a lock not got in time), kPermission.
//
// Blocking (file I/O, fsync): call from a worker thread, never an event
// loop. Thread-safety: one Mailboxes or Mailbox object is used by one
// thread at a time; any number of them, in any threads, processes and
// hosts, may work on the same account at once.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::store {

using FolderName = std::vector<std::string>;  // parts; empty: the INBOX

// The system flags (RFC 3501 2.3.2, without \Recent, which is a session's
// notion: MessageMeta::recent).
enum Flag : uint8_t {
  kFlagSeen = 1,
  kFlagAnswered = 2,
  kFlagFlagged = 4,
  kFlagDeleted = 8,
  kFlagDraft = 16,
};

// Keywords of a message: bit i is the mailbox's keywords()[i]. A mailbox
// keeps at most kMaxKeywords distinct keywords (Maildir's a-z).
using KeywordMask = uint32_t;
inline constexpr size_t kMaxKeywords = 26;

struct MessageMeta {
  uint32_t uid = 0;
  uint64_t modseq = 0;
  uint8_t flags = 0;  // Flag bits
  KeywordMask keywords = 0;
  int64_t internal_date = 0;  // unix seconds
  uint64_t size = 0;          // with CRLF line ends: IMAP's RFC822.SIZE
  // True for the one session that first saw the message (IMAP's \Recent):
  // set in views opened read-write only.
  bool recent = false;
};

struct MailboxStatus {
  uint32_t uid_validity = 0;
  uint32_t uid_next = 1;
  uint64_t highest_modseq = 1;
  uint32_t messages = 0;
  uint32_t recent = 0;  // 0 when the status was taken without opening
  uint32_t unseen = 0;
  uint64_t size = 0;  // bytes of all messages, with CRLF line ends (STATUS SIZE)
};

// What a sync() found: changes since the view's last sync, by other
// sessions, processes or tools, and by this view's own append()s.
struct MailboxChanges {
  // Gone from the view, ascending. Their positions are those of the view
  // before the sync (a protocol numbers its EXPUNGE replies from them).
  std::vector<uint32_t> expunged;
  // Messages whose flags, keywords or MODSEQ changed; UIDs, ascending.
  std::vector<uint32_t> changed;
  // Messages added at the end of the view.
  uint32_t added = 0;
  // The mailbox's keywords() grew.
  bool keywords_changed = false;
};

// How set_flags changes each message.
struct FlagChange {
  enum class Mode { kReplace, kAdd, kRemove };
  Mode mode = Mode::kAdd;
  uint8_t flags = 0;
  std::vector<std::string> keywords;  // names, as the client sent them
  // CONDSTORE's UNCHANGEDSINCE: a message whose MODSEQ is above it is left
  // alone and reported in FlagResult::failed.
  std::optional<uint64_t> unchanged_since;
};

struct FlagResult {
  std::vector<uint32_t> changed;  // UIDs whose flags or keywords changed
  std::vector<uint32_t> failed;   // UIDs refused by unchanged_since
};

// What the index may keep for a message so that FETCH and SEARCH need not
// read or parse it: "envelope", "bodystructure", "body" (IMAP's strings),
// "header:<FIELD>" (the unfolded values of one header field). The index is a
// cache: cached() may forget anything at any time.
using CacheKey = std::string_view;

class Mailbox {
 public:
  virtual ~Mailbox() = default;

  virtual bool read_only() const = 0;
  // UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and counts of the view.
  virtual MailboxStatus status() const = 0;
  // The view (above); messages()[n-1] is the message with sequence number n.
  virtual const std::vector<MessageMeta>& messages() const = 0;
  // Position of `uid` in messages(), or nullopt.
  virtual std::optional<size_t> find(uint32_t uid) const = 0;
  // The keyword names the masks index, in the mailbox's order.
  virtual const std::vector<std::string>& keywords() const = 0;

  // Brings the view up to date (above).
  virtual Result<MailboxChanges> sync() = 0;

  // The message as stored (Unix line ends; IMAP converts to CRLF).
  // kNotFound when it was expunged since the view's sync.
  virtual Result<std::string> read(uint32_t uid) = 0;
  // The beginning of the message as read() gives it, at least up to and
  // including the empty line that ends its header (all of it when it has
  // none): what ENVELOPE, BODY[HEADER] and SEARCH's header keys need, so a
  // backend may read a large message's header without its body. Errors as
  // read(). (The default reads the whole message.)
  virtual Result<std::string> read_header(uint32_t uid) { return read(uid); }

  // The index's cached value for the message, if any.
  virtual std::optional<std::string> cached(uint32_t uid, CacheKey key) = 0;
  // Offers a value for the index (kept if the store wants it; written when
  // convenient, at the latest when the mailbox is closed).
  virtual void cache(uint32_t uid, CacheKey key, std::string value) = 0;

  // Changes flags and keywords of the messages `uids` (unknown UIDs are
  // skipped): each changed message gets a new MODSEQ, and the view is
  // updated. kInvalid on a read-only view; kLimit when a new keyword would
  // pass kMaxKeywords.
  virtual Result<FlagResult> set_flags(const std::vector<uint32_t>& uids,
                                       const FlagChange& change) = 0;

  // Removes the messages flagged \Deleted (only those among `uids` when
  // given: UIDPLUS's UID EXPUNGE); returns their UIDs, ascending, and drops
  // them from the view. kInvalid on a read-only view.
  virtual Result<std::vector<uint32_t>> expunge(const std::vector<uint32_t>* uids) = 0;

  // UIDs expunged since `modseq`, ascending (QRESYNC's VANISHED). The store
  // keeps this record for a while; when it no longer goes back that far,
  // every UID below UIDNEXT not in the view may be returned instead (the
  // RFC allows that).
  virtual Result<std::vector<uint32_t>> expunged_since(uint64_t modseq) = 0;
};

struct FolderInfo {
  FolderName name;
  // RFC 6154 attributes, such as "\\Sent", "\\Drafts", "\\Trash",
  // "\\Junk", "\\Archive".
  std::vector<std::string> special_use;
  bool subscribed = false;
};

struct AppendMessage {
  std::string text;  // as received (CRLF or LF line ends; stored with LF)
  uint8_t flags = 0;
  std::vector<std::string> keywords;
  std::optional<int64_t> internal_date;  // unix seconds; now when not given
};

// UIDPLUS (RFC 4315): what APPEND, COPY and MOVE report.
struct CopyResult {
  uint32_t uid_validity = 0;     // of the target
  std::vector<uint32_t> source;  // COPY/MOVE: the UIDs copied, ascending
  std::vector<uint32_t> target;  // their new UIDs, in the same order
};

struct QuotaStatus {
  uint64_t limit_bytes = 0;  // 0: no quota
  uint64_t used_bytes = 0;
  uint64_t used_messages = 0;
};

class Mailboxes {
 public:
  virtual ~Mailboxes() = default;

  // Every folder but the INBOX (which always exists), sorted by name.
  virtual Result<std::vector<FolderInfo>> list() = 0;
  // `special_use`: CREATE-SPECIAL-USE's attributes, kept with the folder.
  virtual Status create(const FolderName& name, const std::vector<std::string>& special_use) = 0;
  // Deletes a folder and its messages; its subfolders stay. kInvalid for
  // the INBOX.
  virtual Status remove(const FolderName& name) = 0;
  // Renames a folder and its subfolders. Renaming the INBOX moves its
  // messages into the new folder and leaves the INBOX empty (RFC 3501).
  virtual Status rename(const FolderName& from, const FolderName& to) = 0;
  virtual Status subscribe(const FolderName& name, bool subscribed) = 0;

  virtual Result<std::unique_ptr<Mailbox>> open(const FolderName& name, bool read_only) = 0;
  // The status of a folder without keeping it open (STATUS, LIST-STATUS).
  virtual Result<MailboxStatus> status(const FolderName& name) = 0;

  // Saves messages into the folder durably, all or none (MULTIAPPEND);
  // kOverQuota when they would pass the quota.
  virtual Result<CopyResult> append(const FolderName& to, std::vector<AppendMessage> messages) = 0;
  // Copies (keeping flags, keywords and internal dates) the messages
  // `uids` of `from` into the folder `to`; kOverQuota over quota.
  virtual Result<CopyResult> copy(Mailbox& from, const std::vector<uint32_t>& uids,
                                  const FolderName& to) = 0;
  // As copy, then expunges them from `from` (and its view); the messages
  // exist in one folder or the other at every moment, never in neither.
  virtual Result<CopyResult> move(Mailbox& from, const std::vector<uint32_t>& uids,
                                  const FolderName& to) = 0;

  virtual Result<QuotaStatus> quota() = 0;
};

}  // namespace hm::store
