#pragma once
// One message of a Mailbox, read and parsed at most once and only when an
// item needs it: FETCH and SEARCH ask it for the text or the MIME tree, and
// answer what they can from the store's cache before that.
//
// Thread-safety: belongs to one FETCH or SEARCH of one message.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mime/message.h"
#include "store/mailbox.h"

namespace hm::imap {

class MessageText {
 public:
  MessageText(store::Mailbox& box, uint32_t uid) : box_(box), uid_(uid) {}
  MessageText(const MessageText&) = delete;  // the tree views text_
  MessageText& operator=(const MessageText&) = delete;

  store::Mailbox& box() { return box_; }
  uint32_t uid() const { return uid_; }
  // Whether the message was read (what the tests of warm FETCH check too).
  bool loaded() const { return loaded_; }

  // The stored text (LF line ends); box.read() on first use. kNotFound when
  // the message was expunged since the view's sync.
  Result<std::string_view> text();
  // The MIME tree of text(), parsed on first use.
  Result<const mime::Message*> message();
  // The header block (with the empty line that ends it), without parsing
  // the MIME tree; box.read_header() when the text was not read yet and
  // is not wanted (below).

  Result<std::string_view> header_block();
  // The text will be needed anyway (a FETCH of body items too): the header
  // block comes from it, so the file is read once.
  void want_text() { want_text_ = true; }

  // The unfolded values of every header field `name` (upper case), in
  // order: from the cache ("header:<NAME>", below) or from the text, then
  // offered to the cache.
  Result<std::vector<std::string>> header_values(std::string_view name);

 private:
  store::Mailbox& box_;
  uint32_t uid_;
  bool loaded_ = false;
  bool want_text_ = false;
  std::string text_;
  std::optional<std::string> header_;  // box.read_header(), when the text was not needed
  std::optional<mime::Message> message_;
};

// The cache's "header:<NAME>" values: each unfolded value followed by "\n"
// (unfolding leaves no line end in a value), so "" is a message without the
// field and "\n" one with an empty field.
std::string encode_header_values(const std::vector<std::string>& values);
std::vector<std::string> decode_header_values(std::string_view cached);

// The unfolded, trimmed values of the fields named `name` (ASCII
// case-insensitive) in `header_block`.
std::vector<std::string> header_field_values(std::string_view header_block, std::string_view name);

// Cache keys offered for header fields are bounded: a client naming
// arbitrary fields must not fill the index with them.
inline constexpr size_t kMaxCachedFieldName = 64;
inline constexpr size_t kMaxCachedValueBytes = 8 * 1024;

}  // namespace hm::imap
