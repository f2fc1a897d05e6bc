#pragma once
// An RFC 5322 header block as views into the message: the block's end, its
// fields in order, case-insensitive lookup and unfolding. No copies are made
// until a caller asks for an unfolded value.
//
// Thread-safety: a Header is immutable after construction; it must not
// outlive the text it views.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hm::mime {

// Offset just past the header block of `entity`: past the empty line that
// ends it, or entity.size() when there is none (then everything is header).
// An entity that starts with an empty line has an empty header (ending past
// that line). Line ends are LF or CRLF.
size_t header_end(std::string_view entity);

struct HeaderField {
  std::string_view name;       // as written, without the colon
  std::string_view raw_value;  // after the colon, folded, without the last line end
  std::string_view lines;      // the whole field as written, with its last line end
};

class Header {
 public:
  // Fields past `max_bytes` of the block or past `max_fields` are ignored:
  // a hostile header costs bounded memory. Lines without a colon are skipped.
  explicit Header(std::string_view block, size_t max_bytes = 256 * 1024, size_t max_fields = 2000);

  const std::vector<HeaderField>& fields() const { return fields_; }
  // The first field named `name` (ASCII case-insensitive), folded.
  std::optional<std::string_view> raw(std::string_view name) const;
  // The first field named `name`, unfolded and trimmed of surrounding blanks.
  std::optional<std::string> value(std::string_view name) const;

 private:
  std::vector<HeaderField> fields_;
};

// Removes each line end that folding inserted (RFC 5322 3.2.2); a line end not
// followed by a blank (which a well-formed field cannot hold) becomes a space,
// so no CR or LF survives.
std::string unfold(std::string_view raw);

// BODY[HEADER.FIELDS (names)] and BODY[HEADER.FIELDS.NOT (names)]
// (RFC 3501 6.4.5): the fields of `block` whose name is (or, with `negate`,
// is not) one of `names` (ASCII case-insensitive), as written and in order,
// followed by the empty line, all with CRLF line ends as IMAP sends them.
std::string select_fields(std::string_view block, const std::vector<std::string>& names,
                          bool negate);

}  // namespace hm::mime
