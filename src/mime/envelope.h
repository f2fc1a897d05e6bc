#pragma once
// RFC 3501's ENVELOPE (7.4.2) of a message, from its header block:
// (date subject from sender reply-to to cc bcc in-reply-to message-id).
//
// Fields are sent as written, unfolded, encoded words kept (the RFC wants
// them undecoded); an absent or empty field is NIL; Sender and Reply-To
// default to From as the RFC requires. Address lists come from
// address.h (groups as (NIL NIL "name" NIL) ... (NIL NIL NIL NIL)).
//
// Thread-safety: pure function.

#include <string>
#include <string_view>

namespace hm::mime {

// Appends the parenthesized ENVELOPE of the message whose header block is
// `header` to `out`.
void append_envelope(std::string& out, std::string_view header);

std::string envelope(std::string_view header);

}  // namespace hm::mime
