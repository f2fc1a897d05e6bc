#include "imap/message/fetch_section.h"

#include <algorithm>

#include "imap/message/fetch_response.h"
#include "imap/proto/response.h"
#include "mime/header.h"
#include "mime/transfer.h"

namespace hm::imap {
namespace {

using Text = proto::Section::Text;
using Partial = std::optional<std::pair<uint32_t, uint32_t>>;

constexpr size_t kMaxFieldsKey = 512;

// The window a partial leaves of `size` octets: (origin, count).
std::pair<size_t, size_t> window(const Partial& partial, size_t size) {
  if (!partial) return {0, size};
  const size_t origin = partial->first;
  if (origin >= size) return {size, 0};
  return {origin, std::min<size_t>(partial->second, size - origin)};
}

void append_data(std::string& out, std::string_view data, const Partial& partial) {
  const auto [origin, count] = window(partial, data.size());
  if (count == 0) {
    out += "\"\"";
  } else {
    proto::append_literal(out, data.substr(origin, count));
  }
}

void append_span(std::string& out, std::string_view text, const mime::Span& span,
                 const Partial& partial) {
  const auto [origin, count] = window(partial, span.crlf_size);
  if (count == 0) {
    out += "\"\"";
    return;
  }
  out += '{';
  out += std::to_string(count);
  out += "}\r\n";
  append_crlf(out, text, span, origin, count);
}

// The cache key of a header field selection ("fields:DATE FROM"), or ""
// when it is too long to be worth keeping.
std::string fields_key(const proto::Section& section) {
  std::vector<std::string> names = section.fields;
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string key = section.text == Text::kHeaderFields ? "fields:" : "fields.not:";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) key += ' ';
    key += names[i];
  }
  return key.size() <= kMaxFieldsKey ? key : std::string();
}

bool is_header_fields(Text t) { return t == Text::kHeaderFields || t == Text::kHeaderFieldsNot; }

// HEADER.FIELDS (...) of the block `block` (LF or CRLF; select_fields gives
// CRLF).
std::string select(std::string_view block, const proto::Section& section) {
  return mime::select_fields(block, section.fields, section.text == Text::kHeaderFieldsNot);
}

}  // namespace

void append_crlf(std::string& out, std::string_view text, const mime::Span& span, size_t origin,
                 size_t count) {
  const size_t end = origin + count;
  const size_t stop = span.offset + span.size;
  size_t pos = 0;  // CRLF offset (within the span) of text[i]
  size_t i = span.offset;
  while (i < stop && pos < end) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
      // A bare LF is CRLF: two octets, either of which may be cut off.
      if (pos >= origin) out += '\r';
      if (pos + 1 >= origin && pos + 1 < end) out += '\n';
      pos += 2;
      ++i;
      continue;
    }
    // A run of bytes up to the next LF (or that LF, when CR precedes it) is
    // copied in one go.
    size_t run_end = std::min(text.find('\n', i), stop);
    if (run_end == i) run_end = i + 1;
    const size_t run = run_end - i;
    if (pos + run > origin) {
      const size_t skip = origin > pos ? origin - pos : 0;
      const size_t take = std::min(run - skip, end - (pos + skip));
      out.append(text.substr(i + skip, take));
    }
    pos += run;
    i = run_end;
  }
}

std::string section_spec(const proto::Section& section) {
  std::string out;
  for (size_t i = 0; i < section.part.size(); ++i) {
    if (i > 0) out += '.';
    out += std::to_string(section.part[i]);
  }
  if (section.text == Text::kNone) return out;
  if (!out.empty()) out += '.';
  switch (section.text) {
    case Text::kHeader: out += "HEADER"; break;
    case Text::kHeaderFields: out += "HEADER.FIELDS ("; break;
    case Text::kHeaderFieldsNot: out += "HEADER.FIELDS.NOT ("; break;
    case Text::kText: out += "TEXT"; break;
    case Text::kMime: out += "MIME"; break;
    case Text::kNone: break;
  }
  if (is_header_fields(section.text)) {
    for (size_t i = 0; i < section.fields.size(); ++i) {
      if (i > 0) out += ' ';
      proto::append_astring(out, section.fields[i]);
    }
    out += ')';
  }
  return out;
}

Status append_body_section(MessageText& msg, const proto::Section& section, const Partial& partial,
                           std::string& out) {
  // The message's own header fields: from the cache, or from the header
  // block alone (no MIME parse).
  if (section.part.empty() && is_header_fields(section.text)) {
    const std::string key = fields_key(section);
    std::optional<std::string> fields;
    if (!key.empty() && !msg.loaded()) fields = msg.box().cached(msg.uid(), key);
    if (!fields) {
      auto block = msg.header_block();
      if (!block) return fail(std::move(block).error());
      fields = select(*block, section);
      if (!key.empty() && fields->size() <= kMaxCachedValueBytes) {
        msg.box().cache(msg.uid(), key, *fields);
      }
    }
    append_data(out, *fields, partial);
    return ok();
  }
  auto parsed = msg.message();
  if (!parsed) return fail(std::move(parsed).error());
  const mime::Message& m = **parsed;
  const mime::Part* entity = &m.root();  // whose HEADER and TEXT are meant
  std::optional<mime::Span> span;
  if (section.part.empty()) {
    if (section.text == Text::kNone) span = m.whole();
  } else {
    const mime::Part* part = m.find(section.part);
    if (part == nullptr) {
      out += "NIL";
      return ok();
    }
    if (section.text == Text::kNone) span = part->body;
    if (section.text == Text::kMime) span = part->header;
    // HEADER and TEXT of a part are those of the message it encapsulates
    // (RFC 3501 6.4.5); a part that is no message/rfc822 has none.
    entity = part->is_message_rfc822() && !part->children.empty() ? &part->children[0] : nullptr;
  }
  if (!span) {
    if (entity == nullptr) {
      out += "NIL";
      return ok();
    }
    if (section.text == Text::kText) {
      span = entity->body;
    } else if (section.text == Text::kHeader) {
      span = entity->header;
    } else {
      append_data(out, select(m.text(entity->header), section), partial);
      return ok();
    }
  }
  append_span(out, m.text(), *span, partial);
  return ok();
}

namespace {

// The part BINARY[part] names and its decoded content; nullopt when there
// is no such part.
Result<std::optional<std::string>> binary_content(MessageText& msg, const proto::Section& section) {
  auto parsed = msg.message();
  if (!parsed) return fail(std::move(parsed).error());
  const mime::Message& m = **parsed;
  if (section.part.empty()) {
    // BINARY[] is the whole message, which has no transfer encoding of
    // its own to undo.
    std::string whole;
    append_crlf(whole, m.text(), m.whole(), 0, m.whole().crlf_size);
    return std::optional<std::string>(std::move(whole));
  }
  const mime::Part* part = m.find(section.part);
  if (part == nullptr) return std::optional<std::string>();
  // Decoding works on the canonical (CRLF) form, so quoted-printable's
  // hard line breaks and identity encodings come out as CRLF.
  std::string canonical;
  append_crlf(canonical, m.text(), part->body, 0, part->body.crlf_size);
  auto decoded = mime::decode_transfer(part->encoding, canonical);
  if (!decoded) {
    return fail(ErrorKind::kInvalid,
                std::string(kUnknownCte) + " Cannot decode part " + section_spec(section) +
                    ": unknown Content-Transfer-Encoding \"" + part->encoding.substr(0, 40) + "\"");
  }
  return std::optional<std::string>(std::move(*decoded));
}

}  // namespace

Status append_binary(MessageText& msg, const proto::Section& section, const Partial& partial,
                     std::string& out) {
  auto content = binary_content(msg, section);
  if (!content) return fail(std::move(content).error());
  if (!*content) {
    out += "NIL";
    return ok();
  }
  const std::string& data = **content;
  const auto [origin, count] = window(partial, data.size());
  const std::string_view piece = std::string_view(data).substr(origin, count);
  if (piece.empty()) {
    out += "\"\"";
  } else {
    // RFC 3516 4.3: content with NUL goes as literal8.
    if (piece.find('\0') != std::string_view::npos) out += '~';
    proto::append_literal(out, piece);
  }
  return ok();
}

Result<uint64_t> binary_size(MessageText& msg, const proto::Section& section) {
  auto content = binary_content(msg, section);
  if (!content) return fail(std::move(content).error());
  return *content ? (*content)->size() : 0;
}

}  // namespace hm::imap
