#include "smtp/proto/reply.h"

#include <string>

namespace hm::smtp::proto {

namespace {

// A reply line must not carry CR or LF: one would end the reply early and let
// whatever follows be read as a new reply (reply injection). The contract
// says callers never pass them; this keeps a slip from reaching the wire.
void append_clean(std::string& out, std::string_view text) {
  for (char c : text) out.push_back(c == '\r' || c == '\n' || c == '\0' ? ' ' : c);
}

void append_code(std::string& out, int code) {
  // Reply codes are three digits (RFC 5321 4.2); anything else is a bug that
  // would confuse clients, so it is clamped to a generic local error.
  if (code < 200 || code > 599) code = 451;
  out.push_back(static_cast<char>('0' + code / 100));
  out.push_back(static_cast<char>('0' + code / 10 % 10));
  out.push_back(static_cast<char>('0' + code % 10));
}

}  // namespace

Reply make_reply(int code, std::string_view enhanced, std::string_view text) {
  Reply r;
  r.code = code;
  r.enhanced = std::string(enhanced);
  r.lines.emplace_back(text);
  return r;
}

std::string format(const Reply& reply, bool enhanced_codes) {
  std::string out;
  const bool with_enhanced = enhanced_codes && !reply.enhanced.empty();
  const size_t count = reply.lines.empty() ? 1 : reply.lines.size();
  for (size_t i = 0; i < count; ++i) {
    const bool last = i + 1 == count;
    const std::string_view text = reply.lines.empty() ? std::string_view() : reply.lines[i];
    append_code(out, reply.code);
    // RFC 5321 4.2: the last line is "code [SP text]", the others "code-[text]".
    if (!last) {
      out.push_back('-');
    } else if (with_enhanced || !text.empty()) {
      out.push_back(' ');
    }
    if (with_enhanced) {
      append_clean(out, reply.enhanced);
      if (!text.empty()) out.push_back(' ');
    }
    append_clean(out, text);
    out += "\r\n";
  }
  return out;
}

}  // namespace hm::smtp::proto
