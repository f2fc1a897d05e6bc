#include "imap/message/message_text.h"

#include "base/strings.h"
#include "mime/header.h"

namespace hm::imap {

Result<std::string_view> MessageText::text() {
  if (!loaded_) {
    auto text = box_.read(uid_);
    if (!text) return fail(std::move(text).error());
    text_ = std::move(*text);
    loaded_ = true;
  }
  return std::string_view(text_);
}

Result<const mime::Message*> MessageText::message() {
  if (!message_) {
    auto text = this->text();
    if (!text) return fail(std::move(text).error());
    message_ = mime::Message::parse(*text);
  }
  return &*message_;
}

Result<std::string_view> MessageText::header_block() {
  std::string_view text;
  if (loaded_ || want_text_) {
    auto whole = this->text();
    if (!whole) return fail(std::move(whole).error());
    text = *whole;
  } else {
    // Only the header: a large message's body is not read (cold FETCH
    // ENVELOPE, header SEARCH).
    if (!header_) {
      auto head = box_.read_header(uid_);
      if (!head) return fail(std::move(head).error());
      header_ = std::move(*head);
    }
    text = *header_;
  }
  return text.substr(0, mime::header_end(text));
}

Result<std::vector<std::string>> MessageText::header_values(std::string_view name) {
  const std::string key = "header:" + std::string(name);
  if (!loaded_) {
    if (auto cached = box_.cached(uid_, key)) return decode_header_values(*cached);
  }
  auto block = header_block();
  if (!block) return fail(std::move(block).error());
  std::vector<std::string> values = header_field_values(*block, name);
  if (name.size() <= kMaxCachedFieldName) {
    std::string encoded = encode_header_values(values);
    if (encoded.size() <= kMaxCachedValueBytes) box_.cache(uid_, key, std::move(encoded));
  }
  return values;
}

std::string encode_header_values(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) {
    out += v;
    out += '\n';
  }
  return out;
}

std::vector<std::string> decode_header_values(std::string_view cached) {
  std::vector<std::string> values;
  while (!cached.empty()) {
    const size_t lf = cached.find('\n');
    values.emplace_back(cached.substr(0, lf));
    if (lf == std::string_view::npos) break;
    cached.remove_prefix(lf + 1);
  }
  return values;
}

std::vector<std::string> header_field_values(std::string_view header_block, std::string_view name) {
  std::vector<std::string> values;
  const mime::Header header(header_block);
  for (const auto& field : header.fields()) {
    if (iequals(field.name, name)) values.emplace_back(trim(mime::unfold(field.raw_value)));
  }
  return values;
}

}  // namespace hm::imap
