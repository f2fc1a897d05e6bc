#include "mime/encoded_words.h"

#include <optional>

#include "base/base64.h"

#include "mime/charset.h"

namespace hm::mime {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string decode_q(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '_') {
      out.push_back(' ');
    } else if (in[i] == '=' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 &&
               hex_value(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

struct EncodedWord {
  size_t end;  // offset past "?="
  std::string_view charset;
  std::string bytes;
};

// Parses an encoded word starting at text[pos] ("=?"), or nothing.
std::optional<EncodedWord> parse_word(std::string_view text, size_t pos) {
  if (text.compare(pos, 2, "=?") != 0) return std::nullopt;
  const size_t q1 = text.find('?', pos + 2);
  if (q1 == std::string_view::npos || q1 + 2 >= text.size() || text[q1 + 2] != '?') {
    return std::nullopt;
  }
  const char enc = text[q1 + 1];
  const size_t q3 = text.find("?=", q1 + 3);
  if (q3 == std::string_view::npos) return std::nullopt;
  std::string_view charset = text.substr(pos + 2, q1 - pos - 2);
  std::string_view payload = text.substr(q1 + 3, q3 - q1 - 3);
  if (charset.empty() || charset.find_first_of(" \t") != std::string_view::npos ||
      payload.find_first_of(" \t") != std::string_view::npos) {
    return std::nullopt;
  }
  EncodedWord w{q3 + 2, charset, {}};
  if (enc == 'B' || enc == 'b') {
    w.bytes = base64_decode_lenient(payload);
  } else if (enc == 'Q' || enc == 'q') {
    w.bytes = decode_q(payload);
  } else {
    return std::nullopt;
  }
  return w;
}

}  // namespace

std::string decode_encoded_words(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  size_t plain_start = 0;
  // Bytes of encoded words not yet converted, all in `pending_charset`.
  std::string pending;
  std::string_view pending_charset;
  const auto flush = [&] {
    if (!pending.empty() || !pending_charset.empty()) append_utf8(pending_charset, pending, out);
    pending.clear();
    pending_charset = {};
  };
  while (pos < text.size()) {
    const size_t start = text.find("=?", pos);
    if (start == std::string_view::npos) break;
    auto word = parse_word(text, start);
    if (!word) {
      pos = start + 2;
      continue;
    }
    std::string_view between = text.substr(plain_start, start - plain_start);
    const bool only_blanks = between.find_first_not_of(" \t") == std::string_view::npos;
    const bool follows_word = !pending_charset.empty();
    if (follows_word && only_blanks) {
      // Dropped between two encoded words (RFC 2047 6.2).
    } else {
      flush();
      append_valid_utf8(between, out);
    }
    if (!pending_charset.empty() && pending_charset != word->charset) flush();
    pending_charset = word->charset;
    pending += word->bytes;
    pos = plain_start = word->end;
  }
  flush();
  append_valid_utf8(text.substr(plain_start), out);
  return out;
}

}  // namespace hm::mime
