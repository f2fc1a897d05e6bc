#include "mime/charset.h"

#include <iconv.h>

#include <cerrno>
#include <cstdint>

#include "base/strings.h"

namespace hm::mime {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid
// (overlong forms, surrogates and code points past U+10FFFF included).
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  size_t n;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xBF) return 0;
  }
  return n;
}

void append_latin1(std::string_view bytes, std::string& out) {
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
}

void append_with_iconv(iconv_t cd, std::string_view bytes, std::string& out) {
  char* in = const_cast<char*>(bytes.data());  // iconv's signature; it does not write
  size_t in_left = bytes.size();
  char buffer[1024];
  while (in_left > 0) {
    char* o = buffer;
    size_t o_left = sizeof buffer;
    const size_t r = iconv(cd, &in, &in_left, &o, &o_left);
    out.append(buffer, static_cast<size_t>(o - buffer));
    if (r != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) continue;
    // EILSEQ or EINVAL (truncated at the end): skip one byte.
    out.append(kReplacement);
    ++in;
    --in_left;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
  }
  char* o = buffer;
  size_t o_left = sizeof buffer;
  iconv(cd, nullptr, nullptr, &o, &o_left);
  out.append(buffer, static_cast<size_t>(o - buffer));
}

}  // namespace

void append_valid_utf8(std::string_view bytes, std::string& out) {
  size_t i = 0;
  while (i < bytes.size()) {
    const size_t n = utf8_sequence(bytes, i);
    if (n == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
}

void append_utf8(std::string_view charset, std::string_view bytes, std::string& out) {
  if (size_t star = charset.find('*'); star != std::string_view::npos) {
    charset = charset.substr(0, star);
  }
  const std::string cs = ascii_lower(trim(charset));
  if (cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii" || cs.empty()) {
    append_valid_utf8(bytes, out);
    return;
  }
  if (cs == "iso-8859-1" || cs == "latin1" || cs == "iso8859-1") {
    append_latin1(bytes, out);
    return;
  }
  iconv_t cd = iconv_open("UTF-8", cs.c_str());
  if (reinterpret_cast<intptr_t>(cd) == -1) {  // iconv_open reports failure as (iconv_t)-1
    append_valid_utf8(bytes, out);
    return;
  }
  append_with_iconv(cd, bytes, out);
  iconv_close(cd);
}

}  // namespace hm::mime
