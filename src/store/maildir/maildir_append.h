#pragma once
// Adds messages to a Maildir folder durably, with their flags, keywords
// and internal date: APPEND (text) and COPY/MOVE (another folder's file,
// hard-linked where possible). The order of durability:
//   1. a text is written to tmp/ under a name unique per host (O_EXCL) and
//      fsynced, outside the folder's lock;
//   2. under the lock (MaildirFolder::adopt): new keywords get their letters
//      (dovecot-keywords), each message is link(2)ed into cur/ as
//      "<base>:2,<flags>" (a link fails on a taken name: the claim is the
//      name unique per host, never a rename that may replace), cur/ is
//      fsynced, and the UID list gives them the next UIDs, in order;
//   3. the tmp/ names are removed (not fsynced: a leftover is cleaned by
//      the Maildir rule).
// The base name starts with the internal date ("<seconds>.M..."), which is
// where MaildirFolder reads it, and carries ",S=" and ",W=".
//
// Thread-safety: reentrant; the folder object is used by this thread.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/maildir/maildir_account.h"
#include "store/maildir/maildir_folder.h"

namespace hm::store::maildir {

struct NewMessage {
  // APPEND: the text in its stored form (LF line ends).
  std::string text;
  // COPY: the file of the message in its folder (when set, `text` is not
  // used), and its base name to find it again if it was renamed meanwhile.
  std::optional<MaildirFolder::FileRef> source;
  std::string source_base;
  uint8_t flags = 0;  // store::Flag bits
  std::vector<std::string> keywords;
  int64_t internal_date = 0;  // unix seconds
  uint64_t size = 0;          // as stored
  uint64_t wire_size = 0;     // with CRLF line ends
};

// Adds `messages` to `folder`, in order. One entry per message: its UID, or
// nullopt when its source file has gone (expunged meanwhile). kLimit when a
// keyword would pass the 26 letters; on any error nothing is added.
Result<std::vector<std::optional<uint32_t>>> add_messages(MaildirFolder& folder,
                                                          const std::vector<NewMessage>& messages,
                                                          const MaildirAccount& account);

}  // namespace hm::store::maildir
