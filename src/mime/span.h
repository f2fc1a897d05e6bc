#pragma once
// A byte range of a message, in two coordinates: where it lies in the text
// the parser was given (LF or CRLF line ends, as read from a Maildir file or
// received), and where it lies in the message's CRLF form, which is what IMAP
// sizes, BODY[section]<partial> offsets and RFC822.SIZE count.

#include <cstddef>

namespace hm::mime {

struct Span {
  size_t offset = 0;       // in the given text
  size_t size = 0;         // in the given text
  size_t crlf_offset = 0;  // in the message with every line end CRLF
  size_t crlf_size = 0;
};

}  // namespace hm::mime
