#pragma once
// A POP3 session's maildrop (RFC 1939): the account's INBOX as it was at
// login. The list is a snapshot: the view is synced only when it is opened,
// so message numbers, sizes and UIDLs stay as the client first saw them
// while IMAP clients and deliveries change the folder (instead of the
// RFC's exclusive lock, which would lock IMAP out too). A message another
// session expunged since is refused when read, never replaced.
//
// Deletions are marks until commit() (QUIT in the UPDATE state): then those
// messages, and only those, get \Deleted and are expunged. A message the
// user flagged \Deleted over IMAP but did not DELE here stays. A dropped
// connection or a crash never reaches commit(): nothing is deleted.
//
// No I/O of its own but the store's: blocking, call from a worker thread.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/mailbox.h"

namespace hm::pop3 {

// The UIDL of a message: its UID then the folder's UIDVALIDITY, eight
// upper-case hex digits each (Dovecot's default pop3_uidl_format
// "%08Xu%08Xv"): what a client migrated from Dovecot already holds, and
// stable as long as the IMAP identity (UIDVALIDITY, UID) is.
std::string uidl_of(uint32_t uid, uint32_t uid_validity);

// The message as POP3 sends it after "+OK": CRLF line ends, a leading '.'
// doubled, and the terminating ".\r\n". With `body_lines`, only the header,
// the blank line and that many lines of the body (TOP).
std::string multiline_message(std::string_view stored, const uint32_t* body_lines = nullptr);

class Maildrop {
 public:
  explicit Maildrop(std::unique_ptr<store::Mailbox> inbox);

  // Messages of the snapshot, deleted ones included (numbers 1..count()).
  uint32_t count() const { return static_cast<uint32_t>(messages_.size()); }
  // Whether `n` names a message not marked deleted.
  bool exists(uint32_t n) const;
  bool deleted(uint32_t n) const { return n >= 1 && n <= count() && deleted_[n - 1]; }
  // STAT: messages and octets, deleted ones left out.
  uint32_t live_count() const;
  uint64_t live_size() const;
  // Size in octets with CRLF line ends, as RETR sends it before stuffing.
  uint64_t size(uint32_t n) const { return messages_[n - 1].size; }
  std::string uidl(uint32_t n) const { return uidl_of(messages_[n - 1].uid, uid_validity_); }

  // RETR: the multiline text; marks the message \Seen in the store.
  // kNotFound when another session expunged it since the login.
  Result<std::string> retrieve(uint32_t n);
  // TOP: the header and `lines` lines of the body; flags unchanged.
  Result<std::string> top(uint32_t n, uint32_t lines);

  void mark_deleted(uint32_t n) { deleted_[n - 1] = true; }
  void reset();  // RSET
  uint32_t marked() const;

  // The UPDATE state: removes the marked messages; returns how many went.
  Result<size_t> commit();

 private:
  std::unique_ptr<store::Mailbox> inbox_;
  std::vector<store::MessageMeta> messages_;  // the snapshot
  std::vector<bool> deleted_;
  uint32_t uid_validity_ = 0;
};

}  // namespace hm::pop3
