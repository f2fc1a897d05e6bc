#pragma once
// SEARCH (RFC 3501 6.4.4, MODSEQ RFC 7162 3.1.5): which messages of a
// Mailbox's view match a key tree.
//
// - Flags, sizes, dates, sequence and UID sets, MODSEQ come from the view
//   and cost nothing; "*" is the view's last sequence number or UID.
// - BEFORE/ON/SINCE compare the internal date's day in UTC; SENTBEFORE/
//   SENTON/SENTSINCE the day written in the Date: field (sent_date.h; a
//   message without a readable one matches none of them).
// - FROM, TO, CC, BCC, SUBJECT and HEADER match the field's values with
//   RFC 2047 encoded words and RFC 2231 parameters decoded, as a
//   case-insensitive substring with Unicode case folding (text_match.h).
//   Values come from the store's cache ("header:<FIELD>",
//   message_text.h) when it has them; else the message is read and the
//   values offered to the cache. HEADER with an empty string matches every
//   message that has the field.
// - BODY looks in the decoded text of the message's text/* parts (transfer
//   encoding undone, charset converted to UTF-8) and the headers of
//   encapsulated messages; TEXT in the header and the body. Both read the
//   message.
// Keys of an AND or OR are tried cheapest first, so a message read only
// for a key that the others had not already decided.
//
// Thread-safety: as the Mailbox (one thread at a time).

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "imap/proto/command.h"
#include "store/mailbox.h"

namespace hm::imap {

struct SearchContext {
  std::string charset;  // as the client gave it, upper-cased; "" = US-ASCII
  // The highest sequence number / UID a "*" in a sequence set stands for
  // comes from the view.
};

// The prefix of the error message for a charset SEARCH does not take: the
// session answers NO with it (RFC 3501's [BADCHARSET] response code).
inline constexpr std::string_view kBadCharset = "[BADCHARSET (UTF-8 US-ASCII)]";

// Sequence numbers (1-based) of the view's messages that match `key`,
// ascending. kInvalid with a message starting with kBadCharset for a
// charset other than UTF-8 or US-ASCII; errors of the store (other than a
// message expunged meanwhile, which simply does not match) as it gave them.
Result<std::vector<uint32_t>> search(store::Mailbox& box, const proto::SearchKey& key,
                                     const SearchContext& ctx);

// Whether `key` uses MODSEQ anywhere: the SEARCH response then ends with
// "(MODSEQ n)" (RFC 7162 3.1.5).
bool search_uses_modseq(const proto::SearchKey& key);

}  // namespace hm::imap
