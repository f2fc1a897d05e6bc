#include "imap/message/search_text.h"

#include <algorithm>

#include "imap/message/text_match.h"
#include "mime/charset.h"
#include "mime/encoded_words.h"
#include "mime/header.h"
#include "mime/params.h"
#include "mime/transfer.h"

namespace hm::imap {
namespace {

void append_part_text(const mime::Message& m, const mime::Part& p, std::string& out) {
  if (p.is_multipart()) {
    for (const auto& child : p.children) append_part_text(m, child, out);
    return;
  }
  if (p.is_message_rfc822() && !p.children.empty()) {
    const mime::Part& inner = p.children[0];
    out += mime::decode_encoded_words(mime::unfold(m.text(inner.header)));
    out += '\n';
    append_part_text(m, inner, out);
    return;
  }
  if (p.type != "text") return;  // attachments hold no text to search
  const std::string_view raw = m.text(p.body);
  std::optional<std::string> decoded = mime::decode_transfer(p.encoding, raw);
  std::string_view charset = "us-ascii";
  for (const auto& param : p.params) {
    if (param.name == "charset") charset = param.value;
  }
  mime::append_utf8(charset, decoded ? std::string_view(*decoded) : raw, out);
  out += '\n';
}

}  // namespace

std::string decode_header_value(std::string_view unfolded) {
  std::string out = mime::decode_encoded_words(unfolded);
  // RFC 2231 parameters are only in fields with parameters; "*=" or "*0"
  // marks them, so other fields are not parsed for parameters.
  if (unfolded.find("*=") != std::string_view::npos ||
      unfolded.find("*0") != std::string_view::npos) {
    const mime::FieldWithParams field = mime::parse_field_with_params(unfolded);
    for (const auto& param : field.params) {
      if (param.name.empty() || param.name.back() != '*') continue;
      const std::string_view base = std::string_view(param.name).substr(0, param.name.size() - 1);
      if (auto value = mime::param_utf8(field.params, base)) {
        out += ' ';
        out += base;
        out += '=';
        out += *value;
      }
    }
  }
  return out;
}

void append_body_text(const mime::Message& m, std::string& out) {
  append_part_text(m, m.root(), out);
}

bool value_contains(std::string_view unfolded, const FoldedNeedle& needle) {
  // Without 8-bit bytes, encoded words ("=?") or RFC 2231 parameters ("*")
  // decoding changes nothing and folding is ASCII's.
  const bool plain = std::none_of(unfolded.begin(), unfolded.end(),
                                  [](char c) { return (c & 0x80) != 0 || c == '*'; }) &&
                     unfolded.find("=?") == std::string_view::npos;
  if (plain) return needle.found_in(unfolded);
  return needle.found_in(decode_header_value(unfolded));
}

Result<const std::vector<std::string>*> SearchText::values(std::string_view name) {
  for (const auto& [n, v] : fields_) {
    if (n == name) return &v;
  }
  auto values = msg_.header_values(name);
  if (!values) return fail(std::move(values).error());
  fields_.emplace_back(std::string(name), std::move(*values));
  return &fields_.back().second;
}

Result<std::string_view> SearchText::header() {
  if (!header_) {
    auto block = msg_.header_block();
    if (!block) return fail(std::move(block).error());
    header_ = fold_for_search(mime::decode_encoded_words(mime::unfold(*block)));
  }
  return std::string_view(*header_);
}

Result<std::string_view> SearchText::body() {
  if (!body_) {
    auto parsed = msg_.message();
    if (!parsed) return fail(std::move(parsed).error());
    std::string text;
    append_body_text(**parsed, text);
    body_ = fold_for_search(text);
  }
  return std::string_view(*body_);
}

}  // namespace hm::imap
