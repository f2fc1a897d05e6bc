#include "imap/proto/response.h"

#include <cstdio>

#include "imap/proto/lexer.h"

namespace hm::imap::proto {

namespace {

// Text of a status response must not end the line early (response
// injection): CR, LF and NUL become spaces.
void append_text(std::string& out, std::string_view text) {
  for (char c : text) out.push_back(c == '\r' || c == '\n' || c == '\0' ? ' ' : c);
}

bool needs_literal(std::string_view s) {
  if (s.size() > kMaxQuotedLength) return true;
  for (unsigned char c : s) {
    if (c == '\r' || c == '\n' || c == '\0' || c >= 0x80) return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(Status status) {
  switch (status) {
    case Status::kOk: return "OK";
    case Status::kNo: return "NO";
    case Status::kBad: return "BAD";
    case Status::kBye: return "BYE";
    case Status::kPreauth: return "PREAUTH";
  }
  return "BAD";
}

Response make_response(std::string_view tag, Status status, std::string_view code,
                       std::string_view text) {
  return Response{std::string(tag), status, std::string(code), std::string(text)};
}

std::string format(const Response& r) {
  std::string out;
  out.reserve(r.tag.size() + r.code.size() + r.text.size() + 16);
  if (r.tag.empty()) {
    out += '*';
  } else {
    append_text(out, r.tag);
  }
  out += ' ';
  out += to_string(r.status);
  if (!r.code.empty()) {
    out += " [";
    append_text(out, r.code);
    out += ']';
  }
  out += ' ';
  // RFC 3501 requires text after the status (resp-text = [code SP] text,
  // text = 1*TEXT-CHAR); an empty text would be a syntax error for strict
  // clients.
  append_text(out, r.text.empty() ? std::string_view("done") : std::string_view(r.text));
  out += "\r\n";
  return out;
}

std::string format_continuation(std::string_view text) {
  std::string out = "+ ";
  append_text(out, text.empty() ? std::string_view("OK") : text);
  out += "\r\n";
  return out;
}

void append_atom_list(std::string& out, const std::vector<std::string>& atoms) {
  out += '(';
  for (size_t i = 0; i < atoms.size(); ++i) {
    if (i > 0) out += ' ';
    out += atoms[i];
  }
  out += ')';
}

void append_literal(std::string& out, std::string_view s) {
  out += '{';
  out += std::to_string(s.size());
  out += "}\r\n";
  out += s;
}

void append_string(std::string& out, std::string_view s) {
  if (needs_literal(s)) {
    append_literal(out, s);
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void append_astring(std::string& out, std::string_view s) {
  bool atom = !s.empty() && s.size() <= kMaxQuotedLength;
  for (unsigned char c : s) {
    if (!atom) break;
    atom = is_atom_char(c);
  }
  // "NIL" as an atom would read as nil where an nstring is expected.
  if (atom && s.size() == 3 && (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'i' &&
      (s[2] | 0x20) == 'l') {
    atom = false;
  }
  if (atom) {
    out += s;
  } else {
    append_string(out, s);
  }
}

void append_nstring(std::string& out, const std::optional<std::string_view>& s) {
  if (!s) {
    out += "NIL";
  } else {
    append_string(out, *s);
  }
}

void append_date_time(std::string& out, std::time_t t, int offset_minutes) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // Zones are within +-24h; clamping keeps the four digits four digits.
  if (offset_minutes > 1439) offset_minutes = 1439;
  if (offset_minutes < -1439) offset_minutes = -1439;
  const std::time_t local = t + static_cast<std::time_t>(offset_minutes) * 60;
  std::tm tm{};
  if (gmtime_r(&local, &tm) == nullptr) {
    std::tm epoch{};
    epoch.tm_mday = 1;
    epoch.tm_year = 70;
    tm = epoch;
  }
  const int abs_offset = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[64];
  // date-day-fixed is two characters, space-padded (RFC 3501 9).
  std::snprintf(buf, sizeof buf, "\"%2d-%s-%04d %02d:%02d:%02d %c%02d%02d\"", tm.tm_mday,
                kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
                offset_minutes < 0 ? '-' : '+', abs_offset / 60, abs_offset % 60);
  out += buf;
}

}  // namespace hm::imap::proto
