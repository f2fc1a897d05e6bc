#pragma once
// A message's MIME tree as IMAP needs it: every part's header and body as
// byte ranges (in the given text and in CRLF terms), its Content-* fields,
// line counts, and IMAP's part numbering (BODY[1.2], BODY[2.HEADER],
// BODY[2.MIME], BODY[TEXT]). No I/O and no copy of the message: the tree
// holds offsets into the text it was parsed from, which the caller keeps.
//
// The text may have LF (a Maildir file) or CRLF (as received) line ends, or
// a mixture; every LF not preceded by CR counts as two bytes in CRLF terms.
// A bare CR is not a line end and stays one byte (the FETCH code converts
// bare LFs only, so what it sends matches the sizes given here).
//
// Hostile input degrades, never fails: nesting deeper than Limits::max_depth
// and parts past Limits::max_parts are not parsed (the deepest part is then
// a leaf), a multipart without a boundary or any part becomes text/plain,
// and header fields past Limits::max_header_bytes are ignored. The tree's
// memory is bounded by those limits and never more than a small multiple of
// the header text it copies from; time is O(size x depth).
//
// Thread-safety: a Message is immutable after parse() and may be read from
// several threads.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/params.h"
#include "mime/span.h"

namespace hm::mime {

struct Limits {
  size_t max_depth = 32;  // multipart and message/rfc822 levels below the message
  size_t max_parts = 1000;
  size_t max_header_bytes = 256 * 1024;  // of each part's header that is parsed
};

struct Part {
  Span header;  // the header block with the empty line that ends it (BODY[x.MIME] / HEADER)
  Span body;    // the body (BODY[x] / TEXT); for a multipart, preamble to epilogue
  // Content-Type, with defaults ("text"/"plain", or
  // "message"/"rfc822" in a multipart/digest). Lower case. A text/* part
  // without a charset gets charset=us-ascii last (RFC 2045 5.2).
  std::string type = "text";
  std::string subtype = "plain";
  std::vector<Param> params;
  std::string id;           // Content-ID, unfolded, as written
  std::string description;  // Content-Description, unfolded, as written
  std::string encoding;     // Content-Transfer-Encoding, as written ("" when absent)
  std::string md5;          // Content-MD5
  std::string disposition;  // Content-Disposition's value ("" when absent)
  std::vector<Param> disposition_params;
  std::vector<std::string> languages;  // Content-Language
  std::string location;                // Content-Location
  // Lines of the body (text/* and message/rfc822): its line ends, as
  // Dovecot counts them; the line end before a boundary belongs to the
  // boundary, so a part's last line usually is not counted.
  size_t lines = 0;
  // A multipart's parts; for message/rfc822 exactly one: the encapsulated
  // message (its header is the encapsulated header).
  std::vector<Part> children;

  bool is_multipart() const { return type == "multipart"; }
  bool is_message_rfc822() const { return type == "message" && subtype == "rfc822"; }
};

class Message {
 public:
  // Parses `text`, which must outlive the Message.
  static Message parse(std::string_view text, const Limits& limits = {});

  std::string_view text() const { return text_; }
  std::string_view text(const Span& span) const { return text_.substr(span.offset, span.size); }
  const Part& root() const { return root_; }
  // The whole message: BODY[] and RFC822.SIZE (crlf_size).
  Span whole() const { return whole_; }
  // Whether any line end is a bare LF, so text(span) must be converted to
  // CRLF before an IMAP client sees it.
  bool has_bare_lf() const { return has_bare_lf_; }
  size_t parts() const { return parts_; }

  // The range of an IMAP section spec (RFC 3501 6.4.5): "" (the whole
  // message), "HEADER", "TEXT", "1", "1.2", "2.HEADER", "2.TEXT", "2.MIME";
  // "HEADER.FIELDS ..." and "HEADER.FIELDS.NOT ..." give the header block
  // they select from. Nothing for a part that does not exist; a section of a
  // part that exists but is empty is an empty Span. Case-insensitive.
  std::optional<Span> section(std::string_view spec) const;

  // The part a number path names (1-based, as in BODY[1.2]), nothing when
  // there is none. For a non-multipart message "1" is the message itself.
  const Part* find(const std::vector<uint32_t>& path) const;

 private:
  std::string_view text_;
  Part root_;
  Span whole_;
  bool has_bare_lf_ = false;
  size_t parts_ = 0;
};

}  // namespace hm::mime
