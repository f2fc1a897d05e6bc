#include "mime/message.h"

#include <algorithm>

#include "base/strings.h"
#include "mime/header.h"

namespace hm::mime {
namespace {

// Converts offsets in the given text to offsets in its CRLF form: a
// position's CRLF offset is itself plus the bare LFs before it. The counts
// are kept per 4 KiB block, so memory stays at 0.2% of the message and a
// look-up scans at most one block.
class CrlfMap {
 public:
  explicit CrlfMap(std::string_view text) : text_(text) {
    size_t bare = 0;
    for (size_t block = 0; block < text.size(); block += kBlock) {
      before_.push_back(bare);
      bare += count(block, std::min(text.size(), block + kBlock));
    }
    any_ = bare > 0;
  }
  bool any() const { return any_; }
  size_t crlf(size_t pos) const {
    if (!any_ || pos == 0) return pos;
    const size_t block = (pos - 1) / kBlock;
    return pos + before_[block] + count(block * kBlock, pos);
  }
  Span span(size_t begin, size_t end) const {
    const size_t b = crlf(begin);
    return Span{begin, end - begin, b, crlf(end) - b};
  }

 private:
  static constexpr size_t kBlock = 4096;
  // Bare LFs in [begin, end): an LF at `begin` looks back one byte.
  size_t count(size_t begin, size_t end) const {
    size_t n = 0;
    for (size_t i = begin; i < end; ++i) {
      if (text_[i] == '\n' && (i == 0 || text_[i - 1] != '\r')) ++n;
    }
    return n;
  }

  std::string_view text_;
  std::vector<size_t> before_;
  bool any_ = false;
};

// Line ends, as Dovecot counts body lines: a last line without its own line
// end (the usual case before a boundary) is not counted.
size_t count_lines(std::string_view body) {
  return static_cast<size_t>(std::count(body.begin(), body.end(), '\n'));
}

std::vector<std::string> parse_languages(std::string_view unfolded) {
  std::vector<std::string> out;
  for (auto& item : split(unfolded, ',')) {
    // Comments are allowed around language tags (RFC 3282).
    std::string tag;
    int depth = 0;
    for (char c : item) {
      if (c == '(') {
        ++depth;
      } else if (c == ')' && depth > 0) {
        --depth;
      } else if (depth == 0 && c != ' ' && c != '\t') {
        tag.push_back(c);
      }
    }
    if (!tag.empty() && out.size() < kMaxParams) out.push_back(std::move(tag));
  }
  return out;
}

// The token before any comment or blank (Content-Transfer-Encoding).
std::string first_token(std::string_view unfolded) {
  std::string_view v = trim(unfolded);
  size_t end = v.find_first_of(" \t(;");
  return std::string(v.substr(0, end));
}

void make_text_plain(Part& p) {
  p.type = "text";
  p.subtype = "plain";
  p.params = {{"charset", "us-ascii"}};
  p.children.clear();
}

class Parser {
 public:
  Parser(std::string_view text, const CrlfMap& map, const Limits& limits)
      : text_(text), map_(map), limits_(limits) {}

  size_t parts() const { return parts_; }

  // Parses the entity text_[begin, end) into `p`. `depth` counts the
  // multipart and message levels above it.
  void entity(Part& p, size_t begin, size_t end, size_t depth, bool digest_default) {
    ++parts_;
    const std::string_view whole = text_.substr(begin, end - begin);
    const size_t body_begin = begin + header_end(whole);
    p.header = map_.span(begin, body_begin);
    p.body = map_.span(body_begin, end);
    fields(p, Header(text_.substr(begin, body_begin - begin), limits_.max_header_bytes),
           digest_default);
    if (p.is_multipart()) {
      multipart(p, body_begin, end, depth);
    } else if (p.is_message_rfc822()) {
      const std::string enc = ascii_lower(p.encoding);
      if (!enc.empty() && enc != "7bit" && enc != "8bit" && enc != "binary") {
        // An encoded message/rfc822 is not a message a client can walk
        // into; RFC 2046 5.2.1 forbids it. Show it as what it is: data.
        p.type = "application";
        p.subtype = "octet-stream";
      } else if (depth + 1 > limits_.max_depth || parts_ >= limits_.max_parts) {
        make_text_plain(p);
      } else {
        p.children.emplace_back();
        entity(p.children.back(), body_begin, end, depth + 1, false);
      }
    }
    if (p.type == "text" || p.is_message_rfc822()) {
      p.lines = count_lines(text_.substr(body_begin, end - body_begin));
    }
  }

 private:
  void fields(Part& p, const Header& h, bool digest_default) {
    if (digest_default) {
      p.type = "message";
      p.subtype = "rfc822";
    }
    if (auto v = h.raw("Content-Type")) {
      FieldWithParams ct = parse_field_with_params(unfold(*v));
      const std::string value = ascii_lower(ct.value);
      const size_t slash = value.find('/');
      // A type without a subtype or with blanks is invalid: RFC 2045 5.2
      // says to take the default then.
      if (slash != std::string::npos && slash > 0 && slash + 1 < value.size()) {
        p.type = value.substr(0, slash);
        p.subtype = value.substr(slash + 1);
        p.params = std::move(ct.params);
      }
    }
    if (p.type == "text" && std::none_of(p.params.begin(), p.params.end(),
                                         [](const Param& x) { return x.name == "charset"; })) {
      // RFC 2045 5.2's default charset, sent explicitly (last) as Dovecot does.
      p.params.push_back(Param{"charset", "us-ascii"});
    }
    if (auto v = h.value("Content-ID")) p.id = *v;
    if (auto v = h.value("Content-Description")) p.description = *v;
    if (auto v = h.raw("Content-Transfer-Encoding")) p.encoding = first_token(unfold(*v));
    if (auto v = h.value("Content-MD5")) p.md5 = *v;
    if (auto v = h.value("Content-Location")) p.location = *v;
    if (auto v = h.raw("Content-Language")) p.languages = parse_languages(unfold(*v));
    if (auto v = h.raw("Content-Disposition")) {
      FieldWithParams cd = parse_field_with_params(unfold(*v));
      if (!cd.value.empty()) {
        p.disposition = std::move(cd.value);
        p.disposition_params = std::move(cd.params);
      }
    }
  }

  // The line at `pos` is a delimiter of `boundary`: 1 for a delimiter, 2
  // for the close delimiter, 0 for neither. `line_end` gets the offset past
  // the line.
  int delimiter(size_t pos, size_t end, std::string_view boundary, size_t& line_end) const {
    const size_t lf = text_.find('\n', pos);
    line_end = lf == std::string_view::npos || lf >= end ? end : lf + 1;
    std::string_view rest =
        text_.substr(pos + 2 + boundary.size(), line_end - pos - 2 - boundary.size());
    if (rest.substr(0, 2) == "--") return 2;
    // Only blanks may follow (RFC 2046 transport padding); a longer
    // boundary of a nested part that starts with ours is not ours.
    return rest.find_first_not_of(" \t\r\n") == std::string_view::npos ? 1 : 0;
  }

  void multipart(Part& p, size_t begin, size_t end, size_t depth) {
    std::string boundary;
    for (const auto& param : p.params) {
      if (param.name == "boundary") boundary = param.value;
    }
    if (boundary.empty() || depth + 1 > limits_.max_depth) {
      make_text_plain(p);
      return;
    }
    const std::string dash = "--" + boundary;
    const bool digest = p.subtype == "digest";
    size_t part_begin = std::string_view::npos;  // npos while in the preamble
    size_t pos = begin;
    while (pos < end) {
      const size_t hit = text_.find(dash, pos);
      if (hit == std::string_view::npos || hit + dash.size() > end) break;
      pos = hit + 1;
      if (hit != begin && text_[hit - 1] != '\n') continue;
      size_t line_end;
      const int kind = delimiter(hit, end, boundary, line_end);
      if (kind == 0) continue;
      if (part_begin != std::string_view::npos) {
        // The line end before a delimiter belongs to the delimiter.
        size_t part_end = hit;
        if (part_end > part_begin && text_[part_end - 1] == '\n') --part_end;
        if (part_end > part_begin && text_[part_end - 1] == '\r') --part_end;
        if (!child(p, part_begin, part_end, depth, digest)) return;
      }
      if (kind == 2) return;  // the epilogue follows
      part_begin = line_end;
      pos = line_end;
    }
    // No close delimiter: the last part runs to the end.
    if (part_begin != std::string_view::npos) (void)child(p, part_begin, end, depth, digest);
    if (p.children.empty()) make_text_plain(p);
  }

  // Adds a part; false once the part limit is reached (the tree is cut).
  bool child(Part& p, size_t begin, size_t end, size_t depth, bool digest) {
    if (parts_ >= limits_.max_parts) return false;
    p.children.emplace_back();
    entity(p.children.back(), begin, std::max(begin, end), depth + 1, digest);
    return true;
  }

  std::string_view text_;
  const CrlfMap& map_;
  const Limits& limits_;
  size_t parts_ = 0;
};

}  // namespace

Message Message::parse(std::string_view text, const Limits& limits) {
  Message m;
  m.text_ = text;
  const CrlfMap map(text);
  m.has_bare_lf_ = map.any();
  m.whole_ = map.span(0, text.size());
  Parser parser(text, map, limits);
  parser.entity(m.root_, 0, text.size(), 0, false);
  m.parts_ = parser.parts();
  return m;
}

const Part* Message::find(const std::vector<uint32_t>& path) const {
  const Part* container = &root_;
  const Part* part = nullptr;
  for (uint32_t n : path) {
    if (container == nullptr) return nullptr;
    if (container->is_multipart()) {
      if (n == 0 || n > container->children.size()) return nullptr;
      part = &container->children[n - 1];
    } else {
      if (n != 1) return nullptr;
      part = container;
    }
    if (part->is_message_rfc822() && !part->children.empty()) {
      container = &part->children[0];
    } else if (part->is_multipart()) {
      container = part;
    } else {
      container = nullptr;
    }
  }
  return part;
}

std::optional<Span> Message::section(std::string_view spec) const {
  std::vector<uint32_t> path;
  while (!spec.empty() && spec.front() >= '0' && spec.front() <= '9') {
    size_t i = 0;
    uint64_t n = 0;
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9' && n < 1000000) {
      n = n * 10 + static_cast<uint64_t>(spec[i] - '0');
      ++i;
    }
    if (n == 0 || n >= 1000000) return std::nullopt;
    path.push_back(static_cast<uint32_t>(n));
    spec.remove_prefix(i);
    if (spec.empty()) break;
    if (spec.front() != '.') return std::nullopt;
    spec.remove_prefix(1);
    if (spec.empty()) return std::nullopt;
  }
  const std::string suffix = ascii_lower(spec);
  const bool header = suffix == "header" || suffix.rfind("header.fields", 0) == 0;
  if (!suffix.empty() && !header && suffix != "text" && suffix != "mime") return std::nullopt;
  if (path.empty()) {
    if (suffix.empty()) return whole_;
    if (header) return root_.header;
    if (suffix == "text") return root_.body;
    return std::nullopt;  // MIME needs a part number
  }
  const Part* part = find(path);
  if (part == nullptr) return std::nullopt;
  if (suffix.empty()) return part->body;
  if (suffix == "mime") return part->header;
  if (!part->is_message_rfc822() || part->children.empty()) {
    // HEADER and TEXT of the message itself ("1.HEADER" of a single-part
    // message is not a message/rfc822 part).
    return std::nullopt;
  }
  return header ? part->children[0].header : part->children[0].body;
}

}  // namespace hm::mime
