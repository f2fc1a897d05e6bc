#include "imap/proto/mutf7.h"

#include <cstdint>
#include <vector>

namespace hm::imap::proto {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int base64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Decodes one base64 section (between "&" and "-") into UTF-8; false when it
// is malformed.
bool decode_section(std::string_view b64, std::string& out) {
  uint32_t bits = 0;
  int nbits = 0;
  std::vector<uint16_t> units;
  for (unsigned char c : b64) {
    const int v = base64_value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    nbits += 6;
    if (nbits >= 16) {
      nbits -= 16;
      units.push_back(static_cast<uint16_t>((bits >> nbits) & 0xffff));
    }
  }
  // Leftover bits are padding: fewer than 6 of them (else a whole base64
  // character was wasted) and all zero.
  if (nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0) return false;
  if (units.empty()) return false;
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t cp = units[i];
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (i + 1 >= units.size() || units[i + 1] < 0xdc00 || units[i + 1] > 0xdfff) return false;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (units[i + 1] - 0xdc00);
      ++i;
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      return false;
    }
    // Printable ASCII must represent itself; controls (C0, DEL, C1) have no
    // place in a mailbox name.
    if (cp < 0xa0) return false;
    append_utf8(out, cp);
  }
  return true;
}

// Next code point of valid UTF-8 at `pos`; nullopt for invalid sequences.
std::optional<uint32_t> next_code_point(std::string_view s, size_t& pos) {
  const auto c = static_cast<unsigned char>(s[pos]);
  int len = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if (c < 0x80) {
    ++pos;
    return c;
  } else if ((c & 0xe0) == 0xc0) {
    len = 2, cp = c & 0x1f, min = 0x80;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3, cp = c & 0x0f, min = 0x800;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (pos + static_cast<size_t>(len) > s.size()) return std::nullopt;
  for (int i = 1; i < len; ++i) {
    const auto cc = static_cast<unsigned char>(s[pos + static_cast<size_t>(i)]);
    if ((cc & 0xc0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return std::nullopt;
  pos += static_cast<size_t>(len);
  return cp;
}

void flush_section(std::string& out, std::vector<uint16_t>& units) {
  if (units.empty()) return;
  out += '&';
  uint32_t bits = 0;
  int nbits = 0;
  for (uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kAlphabet[(bits >> nbits) & 0x3f];
    }
  }
  if (nbits > 0) out += kAlphabet[(bits << (6 - nbits)) & 0x3f];
  out += '-';
  units.clear();
}

}  // namespace

std::optional<std::string> mutf7_decode(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  size_t i = 0;
  while (i < name.size()) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c > 0x7e) return std::nullopt;
    if (c != '&') {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const size_t end = name.find('-', i + 1);
    if (end == std::string_view::npos) return std::nullopt;
    if (end == i + 1) {
      out += '&';
    } else if (!decode_section(name.substr(i + 1, end - i - 1), out)) {
      return std::nullopt;
    }
    i = end + 1;
  }
  return out;
}

std::optional<std::string> mutf7_encode(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> units;
  size_t pos = 0;
  while (pos < utf8.size()) {
    auto cp = next_code_point(utf8, pos);
    if (!cp || *cp < 0x20 || (*cp >= 0x7f && *cp < 0xa0)) return std::nullopt;
    if (*cp < 0x7f) {
      flush_section(out, units);
      if (*cp == '&') {
        out += "&-";
      } else {
        out += static_cast<char>(*cp);
      }
    } else if (*cp >= 0x10000) {
      const uint32_t v = *cp - 0x10000;
      units.push_back(static_cast<uint16_t>(0xd800 + (v >> 10)));
      units.push_back(static_cast<uint16_t>(0xdc00 + (v & 0x3ff)));
    } else {
      units.push_back(static_cast<uint16_t>(*cp));
    }
  }
  flush_section(out, units);
  return out;
}

}  // namespace hm::imap::proto
