#include "imap/session/list_match.h"

#include <vector>

#include "base/strings.h"

namespace hm::imap {
namespace {

// "inbox..." in a pattern means the INBOX as "INBOX..." does.
std::string fold_inbox(std::string_view pattern, char separator) {
  std::string p(pattern);
  if (p.size() >= 5 && iequals(std::string_view(p).substr(0, 5), "INBOX") &&
      (p.size() == 5 || p[5] == separator)) {
    for (size_t i = 0; i < 5; ++i) p[i] = "INBOX"[i];
  }
  return p;
}

// Iterative matcher with memo over (pattern position, name position): both
// are bounded (a mailbox name is at most 255 octets, a pattern by the line
// length), and the table keeps "*%*%*..." from taking exponential time.
bool match(std::string_view p, std::string_view n, char sep) {
  const size_t rows = p.size() + 1, cols = n.size() + 1;
  // can[i * cols + j]: p[i..] matches n[j..]
  std::vector<char> can(rows * cols, 0);
  auto at = [&](size_t i, size_t j) -> char& { return can[i * cols + j]; };
  for (size_t i = rows; i-- > 0;) {
    for (size_t j = cols; j-- > 0;) {
      bool r = false;
      if (i == p.size()) {
        r = j == n.size();
      } else if (p[i] == '*') {
        r = at(i + 1, j) || (j < n.size() && at(i, j + 1));
      } else if (p[i] == '%') {
        r = at(i + 1, j) || (j < n.size() && n[j] != sep && at(i, j + 1));
      } else if (j < n.size()) {
        r = p[i] == n[j] && at(i + 1, j + 1);
      }
      at(i, j) = r ? 1 : 0;
    }
  }
  return at(0, 0) != 0;
}

}  // namespace

std::string list_pattern(std::string_view reference, std::string_view pattern) {
  std::string p(reference);
  p += pattern;
  return p;
}

bool list_matches(std::string_view pattern, std::string_view name, char separator) {
  return match(fold_inbox(pattern, separator), name, separator);
}

}  // namespace hm::imap
