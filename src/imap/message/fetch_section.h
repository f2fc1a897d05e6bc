#pragma once
// The data of FETCH's section items: BODY[section]<partial> (with RFC822,
// RFC822.HEADER and RFC822.TEXT, which are sections under other names) and
// BINARY[part]<partial> / BINARY.SIZE[part] (RFC 3516). Used by
// fetch_response.cc; apart so that each file keeps one job.
//
// Thread-safety: as the MessageText given.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "imap/message/message_text.h"
#include "imap/proto/command.h"
#include "mime/span.h"

namespace hm::imap {

// "1.2.HEADER.FIELDS (FROM TO)": the section as the response echoes it.
std::string section_spec(const proto::Section& section);

// Appends the section's data, after its partial, as an IMAP literal, "" when
// empty, or NIL when the part does not exist.
Status append_body_section(MessageText& msg, const proto::Section& section,
                           const std::optional<std::pair<uint32_t, uint32_t>>& partial,
                           std::string& out);

// BINARY[part]<partial>: the part's content with its transfer encoding
// undone, as a literal (literal8 "~{n}" when it holds NUL), "" or NIL.
Status append_binary(MessageText& msg, const proto::Section& section,
                     const std::optional<std::pair<uint32_t, uint32_t>>& partial, std::string& out);

// BINARY.SIZE[part]: the size BINARY[part] would have.
Result<uint64_t> binary_size(MessageText& msg, const proto::Section& section);

// The CRLF form of the bytes of `text` in `span`, from CRLF offset `origin`,
// at most `count` octets: a bare LF is sent as CRLF, anything else as it is
// (mime/message.h counts sizes so).
void append_crlf(std::string& out, std::string_view text, const mime::Span& span, size_t origin,
                 size_t count);

}  // namespace hm::imap
