#pragma once
// FETCH (RFC 3501 6.4.5 and 7.4.2; BINARY RFC 3516; MODSEQ RFC 7162): the
// untagged "* n FETCH (...)" response for one message of a store::Mailbox.
//
// Message data goes out as IMAP literals in the message's CRLF form (the
// store keeps LF line ends; offsets of BODY[...]<partial> count CRLF
// octets, as RFC822.SIZE does). What can be answered without the message
// text is: FLAGS, INTERNALDATE, RFC822.SIZE, UID and MODSEQ from the view;
// ENVELOPE, BODY, BODYSTRUCTURE and BODY[HEADER.FIELDS (...)] from the
// store's cache when it has them (keys "envelope", "body", "bodystructure",
// and "fields:<NAMES>" / "fields.not:<NAMES>" for a header field
// selection, NAMES upper case, sorted, each once, joined by a space). The
// message is read (box.read) only when an item needs its text, at most once
// per call, and what was computed from it is offered to box.cache(), so
// the next FETCH of the same items parses nothing.
//
// Where RFC 3501 leaves a choice: a section of a part that does not exist
// is NIL, an empty one (or a partial past its end) is "", BINARY of a part
// that does not exist is NIL and its BINARY.SIZE 0; items come in the order
// asked, each once, after those the context adds (UID, FLAGS, MODSEQ, in
// that order). INTERNALDATE is shown in UTC.
//
// Thread-safety: as the Mailbox (one thread at a time).

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "imap/proto/command.h"
#include "store/mailbox.h"

namespace hm::imap {

struct FetchContext {
  bool uid_command = false;  // UID FETCH: the UID item is always included
  bool condstore = false;    // CONDSTORE enabled: MODSEQ is always included
  // The session has just set \Seen for this FETCH (fetch_sets_seen) and the
  // flags changed: FLAGS is included, as RFC 3501 6.4.5 asks.
  bool flags_changed = false;
};

// True when the items set \Seen (BODY[...], BINARY[...], RFC822,
// RFC822.TEXT without .PEEK).
bool fetch_sets_seen(const std::vector<proto::FetchAtt>& atts);

// The prefix of the error message for a part whose Content-Transfer-
// Encoding BINARY cannot undo: the session answers NO with it (RFC 3516's
// [UNKNOWN-CTE] response code).
inline constexpr std::string_view kUnknownCte = "[UNKNOWN-CTE]";

// Appends "* <seq> FETCH (...)\r\n" for box.messages()[seq-1] to `out`.
// Errors (nothing is appended then): kNotFound when there is no such message
// in the view or it was expunged meanwhile (the session answers NO or skips
// it); kInvalid with a message starting with kUnknownCte for BINARY of a
// part in an encoding it does not know; other errors as the store gave them.
Status write_fetch(store::Mailbox& box, uint32_t seq, const std::vector<proto::FetchAtt>& atts,
                   const FetchContext& ctx, std::string& out);

}  // namespace hm::imap
