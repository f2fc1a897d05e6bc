#pragma once
// The text SEARCH looks in, per message, decoded to UTF-8 and folded for
// matching (text_match.h) once however many keys ask: header fields'
// values (cached by the store, or from the message), the body's text parts,
// the whole header.
//
// Thread-safety: belongs to one SEARCH of one message.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "imap/message/message_text.h"
#include "imap/message/text_match.h"
#include "mime/message.h"

namespace hm::imap {

// The searchable text of one header field's value: encoded words decoded,
// and RFC 2231 parameters (filename*=utf-8''...) added decoded.
std::string decode_header_value(std::string_view unfolded);

// Appends the decoded text BODY searches in: text/* parts with their
// transfer encoding undone and converted to UTF-8, and the header of each
// encapsulated message/rfc822, separated by line ends.
void append_body_text(const mime::Message& m, std::string& out);

// Whether the unfolded header value contains `needle` once decoded
// (decode_header_value) and folded. Plain ASCII values, the usual case,
// are matched in place without a copy.
bool value_contains(std::string_view unfolded, const FoldedNeedle& needle);

class SearchText {
 public:
  SearchText(store::Mailbox& box, uint32_t uid) : msg_(box, uid) {}

  // The unfolded values of field `name` (upper case), empty when the
  // message has no such field; from the cache when it has them
  // (MessageText::header_values), kept for further keys.
  Result<const std::vector<std::string>*> values(std::string_view name);
  // Folded decoded header block and body (TEXT = both, BODY = body).
  Result<std::string_view> header();
  Result<std::string_view> body();

 private:
  MessageText msg_;
  std::vector<std::pair<std::string, std::vector<std::string>>> fields_;
  std::optional<std::string> header_;
  std::optional<std::string> body_;
};

}  // namespace hm::imap
