#include "imap/message/sent_date.h"

#include <string>
#include <vector>

#include "base/strings.h"
#include "imap/proto/lexer.h"

namespace hm::imap {
namespace {

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int month_of(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  if (s.size() < 3) return 0;
  for (int i = 0; i < 12; ++i) {
    if (iequals(s.substr(0, 3), kMonths[i])) return i + 1;
  }
  return 0;
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, int m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// The words of the field with comments removed; ',' separates too.
std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string word;
  int depth = 0;
  for (char c : s) {
    if (c == '(') {
      ++depth;
    } else if (c == ')' && depth > 0) {
      --depth;
    } else if (depth > 0) {
      continue;
    } else if (c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n') {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
      if (out.size() > 8) break;
    } else {
      word += c;
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

}  // namespace

std::optional<int32_t> sent_day(std::string_view date_field) {
  const std::vector<std::string> w = words(date_field);
  size_t i = 0;
  if (i < w.size() && !is_digits(w[i])) ++i;  // the day name
  if (w.size() < i + 3) return std::nullopt;
  const std::string& day = w[i];
  const std::string& month = w[i + 1];
  const std::string& year = w[i + 2];
  if (!is_digits(day) || day.size() > 2 || !is_digits(year) || year.size() > 4) {
    return std::nullopt;
  }
  const int m = month_of(month);
  if (m == 0) return std::nullopt;
  int64_t y = std::stoll(year);
  if (year.size() == 2) {
    y += y < 50 ? 2000 : 1900;
  } else if (year.size() == 3) {
    y += 1900;
  }
  const unsigned d = static_cast<unsigned>(std::stoi(day));
  if (d < 1 || d > days_in_month(y, m)) return std::nullopt;
  return proto::days_from_civil(y, static_cast<unsigned>(m), d);
}

}  // namespace hm::imap
