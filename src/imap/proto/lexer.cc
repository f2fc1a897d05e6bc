#include "imap/proto/lexer.h"

namespace hm::imap::proto {

namespace {

constexpr const char* kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int month_of(std::string_view s) {
  if (s.size() != 3) return 0;
  const std::string u = upper(s);
  for (int i = 0; i < 12; ++i) {
    if (u == kMonths[i]) return i + 1;
  }
  return 0;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

bool is_atom_char(unsigned char c) {
  if (c <= 0x20 || c >= 0x7f) return false;
  switch (c) {
    case '(':
    case ')':
    case '{':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']': return false;
    default: return true;
  }
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Howard Hinnant's days_from_civil algorithm (public domain description).
int32_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<int32_t>(era * 146097 + static_cast<int64_t>(doe) - 719468);
}

bool Lexer::fail(std::string text) {
  if (error_.empty()) error_ = std::move(text);
  return false;
}

std::string Lexer::near() const {
  if (at_end()) return "end of line";
  std::string out = "\"";
  for (size_t i = pos_; i < text_.size() && i < pos_ + 12; ++i) {
    const auto c = static_cast<unsigned char>(text_[i]);
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  }
  return out + "\"";
}

bool Lexer::consume(char c) {
  if (peek() != c || at_end()) return false;
  ++pos_;
  return true;
}

bool Lexer::keyword(std::string_view word) {
  if (text_.size() - pos_ < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = text_[pos_ + i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != word[i]) return false;
  }
  const size_t next = pos_ + word.size();
  if (next < text_.size() && is_atom_char(static_cast<unsigned char>(text_[next]))) return false;
  pos_ = next;
  return true;
}

bool Lexer::space(std::string_view after) {
  if (consume(' ')) return true;
  return fail("Expected a space after " + std::string(after) + ", found " + near());
}

bool Lexer::expect(char c, std::string_view what) {
  if (consume(c)) return true;
  return fail("Expected " + std::string(what) + ", found " + near());
}

bool Lexer::expect_end() {
  if (at_end()) return true;
  return fail("Unexpected " + near() + " after the command's arguments");
}

std::string_view Lexer::atom() {
  const size_t start = pos_;
  while (!at_end() && is_atom_char(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  return text_.substr(start, pos_ - start);
}

std::string_view Lexer::astring_atom() {
  const size_t start = pos_;
  while (!at_end() &&
         (is_atom_char(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == ']')) {
    ++pos_;
  }
  return text_.substr(start, pos_ - start);
}

std::string_view Lexer::list_atom() {
  const size_t start = pos_;
  while (!at_end()) {
    const char c = text_[pos_];
    if (!is_atom_char(static_cast<unsigned char>(c)) && c != ']' && c != '%' && c != '*') break;
    ++pos_;
  }
  return text_.substr(start, pos_ - start);
}

bool Lexer::literal(std::string& out, std::string_view what) {
  // "{" number ["+"] "}" CRLF octets; the reader made sure the octets are
  // there, but the parser does not trust it.
  ++pos_;  // "{"
  uint64_t size = 0;
  size_t digits = 0;
  while (!at_end() && is_digit(text_[pos_])) {
    if (++digits > 19) return fail("Literal size of " + std::string(what) + " too large");
    size = size * 10 + static_cast<uint64_t>(text_[pos_++] - '0');
  }
  if (digits == 0) return fail("Expected the literal size of " + std::string(what));
  consume('+');
  if (!consume('}') || !consume('\r') || !consume('\n')) {
    return fail("Malformed literal for " + std::string(what) + ": expected {n} and a line end");
  }
  if (size > text_.size() - pos_) return fail("Literal for " + std::string(what) + " cut short");
  out.assign(text_.substr(pos_, static_cast<size_t>(size)));
  pos_ += static_cast<size_t>(size);
  return true;
}

bool Lexer::string(std::string& out, std::string_view what) {
  bool binary = false;
  if (peek() == '~') return fail("Expected " + std::string(what) + " (a literal8 is not allowed)");
  return string8(out, binary, what);
}

bool Lexer::string8(std::string& out, bool& binary, std::string_view what) {
  binary = false;
  if (peek() == '~' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '{') {
    ++pos_;
    binary = true;
    return literal(out, what);
  }
  if (peek() == '{') return literal(out, what);
  if (!consume('"')) {
    return fail("Expected " + std::string(what) + " as a quoted string or literal, found " +
                near());
  }
  out.clear();
  while (!at_end()) {
    const char c = text_[pos_++];
    if (c == '"') return true;
    if (c == '\\') {
      if (at_end() || (text_[pos_] != '"' && text_[pos_] != '\\')) {
        return fail("Only \\\" and \\\\ may be escaped in a quoted string (" + std::string(what) +
                    ")");
      }
      out += text_[pos_++];
      continue;
    }
    if (c == '\r' || c == '\n' || c == '\0') {
      return fail("Line end or NUL inside a quoted string (" + std::string(what) +
                  "); use a literal");
    }
    out += c;
  }
  return fail("Unterminated quoted string (" + std::string(what) + ")");
}

bool Lexer::astring(std::string& out, std::string_view what) {
  const char c = peek();
  if (c == '"' || c == '{') return string(out, what);
  const std::string_view a = astring_atom();
  if (a.empty()) return fail("Expected " + std::string(what) + ", found " + near());
  out.assign(a);
  return true;
}

bool Lexer::nstring(std::string& out, bool& nil, std::string_view what) {
  nil = false;
  if (keyword("NIL")) {
    nil = true;
    out.clear();
    return true;
  }
  return string(out, what);
}

bool Lexer::number64(uint64_t& out, std::string_view what) {
  out = 0;
  size_t digits = 0;
  while (!at_end() && is_digit(text_[pos_])) {
    out = out * 10 + static_cast<uint64_t>(text_[pos_++] - '0');
    if (++digits > 19 || out > 0x7fffffffffffffffULL) {
      return fail("Number for " + std::string(what) + " too large");
    }
  }
  if (digits == 0) return fail("Expected a number for " + std::string(what) + ", found " + near());
  return true;
}

bool Lexer::number(uint32_t& out, std::string_view what) {
  uint64_t n = 0;
  if (!number64(n, what)) return false;
  if (n > 0xffffffffULL) return fail("Number for " + std::string(what) + " over 4294967295");
  out = static_cast<uint32_t>(n);
  return true;
}

bool Lexer::nz_number(uint32_t& out, std::string_view what) {
  if (!number(out, what)) return false;
  if (out == 0) return fail("Number for " + std::string(what) + " must not be 0");
  return true;
}

bool Lexer::sequence_set(SequenceSet& out, std::string_view what) {
  const size_t start = pos_;
  while (!at_end() && (is_digit(text_[pos_]) || text_[pos_] == ':' || text_[pos_] == ',' ||
                       text_[pos_] == '*')) {
    ++pos_;
  }
  auto set = parse_sequence_set(text_.substr(start, pos_ - start));
  if (!set) {
    pos_ = start;
    return fail("Invalid sequence set for " + std::string(what) + " at " + near() +
                " (expected numbers, ranges n:m and * separated by commas)");
  }
  out = std::move(*set);
  return true;
}

bool Lexer::date(int32_t& days, std::string_view what) {
  const bool quoted = consume('"');
  const size_t start = pos_;
  while (!at_end() && (is_atom_char(static_cast<unsigned char>(text_[pos_])))) ++pos_;
  const std::string_view s = text_.substr(start, pos_ - start);
  if (quoted && !consume('"')) return fail("Unterminated quoted date for " + std::string(what));
  // d-Mon-yyyy or dd-Mon-yyyy
  const size_t dash1 = s.find('-');
  const size_t dash2 = dash1 == std::string_view::npos ? dash1 : s.find('-', dash1 + 1);
  bool ok = dash1 != std::string_view::npos && dash2 != std::string_view::npos &&
            (dash1 == 1 || dash1 == 2) && dash2 == dash1 + 4 && s.size() == dash2 + 5;
  unsigned d = 0;
  int m = 0;
  int64_t y = 0;
  if (ok) {
    for (size_t i = 0; i < dash1; ++i) ok = ok && is_digit(s[i]);
    for (size_t i = dash2 + 1; i < s.size(); ++i) ok = ok && is_digit(s[i]);
  }
  if (ok) {
    d = static_cast<unsigned>(std::stoi(std::string(s.substr(0, dash1))));
    m = month_of(s.substr(dash1 + 1, 3));
    y = std::stoi(std::string(s.substr(dash2 + 1)));
    ok = m != 0 && d >= 1 && d <= days_in_month(y, static_cast<unsigned>(m));
  }
  if (!ok) {
    return fail("Invalid date for " + std::string(what) + ": \"" + std::string(s.substr(0, 20)) +
                "\" (expected e.g. 1-Feb-2024)");
  }
  days = days_from_civil(y, static_cast<unsigned>(m), d);
  return true;
}

bool Lexer::date_time(int64_t& seconds, std::string_view what) {
  const std::string bad = "Invalid date-time for " + std::string(what) +
                          " (expected e.g. \"17-Jul-1996 02:44:25 -0700\")";
  if (!consume('"')) return fail(bad);
  const size_t close = text_.find('"', pos_);
  if (close == std::string_view::npos) return fail(bad);
  std::string_view s = text_.substr(pos_, close - pos_);
  pos_ = close + 1;
  if (!s.empty() && s[0] == ' ') s.remove_prefix(1);  // date-day-fixed " 7"
  // d-Mon-yyyy hh:mm:ss +zzzz
  const size_t sp = s.find(' ');
  if (sp == std::string_view::npos || s.size() != sp + 1 + 8 + 1 + 5) return fail(bad);
  const std::string date_text = "\"" + std::string(s.substr(0, sp)) + "\"";
  Lexer date_lexer(date_text);
  int32_t days = 0;
  if (!date_lexer.date(days, what)) return fail(bad);
  const std::string_view t = s.substr(sp + 1, 8);
  const std::string_view z = s.substr(sp + 10, 5);
  auto two = [](std::string_view v, size_t at) {
    return is_digit(v[at]) && is_digit(v[at + 1]) ? (v[at] - '0') * 10 + (v[at + 1] - '0') : -1;
  };
  const int hh = two(t, 0), mm = two(t, 3), ss = two(t, 6);
  const int zh = two(z, 1), zm = two(z, 3);
  if (t[2] != ':' || t[5] != ':' || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60 ||
      (z[0] != '+' && z[0] != '-') || zh < 0 || zm < 0 || zm > 59) {
    return fail(bad);
  }
  const int64_t offset = (zh * 60 + zm) * 60 * (z[0] == '-' ? -1 : 1);
  seconds = static_cast<int64_t>(days) * 86400 + hh * 3600 + mm * 60 + ss - offset;
  return true;
}

bool Lexer::flag(std::string& out, std::string_view what) {
  const bool system = consume('\\');
  const std::string_view a = atom();
  if (a.empty()) return fail("Expected a flag in " + std::string(what) + ", found " + near());
  out = system ? "\\" + std::string(a) : std::string(a);
  return true;
}

}  // namespace hm::imap::proto
