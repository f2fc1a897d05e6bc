#include "imap/proto/sequence_set.h"

#include <algorithm>

namespace hm::imap::proto {

namespace {

// seq-number = nz-number / "*"; nz-number fits 32 bits (RFC 3501 9).
std::optional<uint32_t> parse_number(std::string_view s) {
  if (s == "*") return kStar;
  if (s.empty() || s.size() > 10 || s[0] == '0') return std::nullopt;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > 0xffffffffULL) return std::nullopt;
  return static_cast<uint32_t>(value);
}

void append_number(std::string& out, uint32_t n) {
  if (n == kStar) {
    out += '*';
  } else {
    out += std::to_string(n);
  }
}

}  // namespace

bool SequenceSet::contains(uint32_t n, uint32_t star) const {
  for (const SeqRange& r : ranges) {
    const uint32_t a = r.first == kStar ? star : r.first;
    const uint32_t b = r.last == kStar ? star : r.last;
    if (a == 0 || b == 0) continue;  // "*" in an empty mailbox
    if (n >= std::min(a, b) && n <= std::max(a, b)) return true;
  }
  return false;
}

std::optional<SequenceSet> parse_sequence_set(std::string_view text) {
  SequenceSet set;
  size_t pos = 0;
  while (true) {
    const size_t comma = text.find(',', pos);
    const std::string_view item =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    const size_t colon = item.find(':');
    SeqRange range;
    if (colon == std::string_view::npos) {
      auto n = parse_number(item);
      if (!n) return std::nullopt;
      range = {*n, *n};
    } else {
      auto a = parse_number(item.substr(0, colon));
      auto b = parse_number(item.substr(colon + 1));
      if (!a || !b) return std::nullopt;
      range = {*a, *b};
    }
    if (set.ranges.size() >= kMaxRanges) return std::nullopt;
    set.ranges.push_back(range);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return set;
}

std::string format_sequence_set(const SequenceSet& set) {
  std::string out;
  for (const SeqRange& r : set.ranges) {
    if (!out.empty()) out += ',';
    append_number(out, r.first);
    if (r.last != r.first) {
      out += ':';
      append_number(out, r.last);
    }
  }
  return out;
}

std::string format_numbers(std::vector<uint32_t> numbers) {
  std::sort(numbers.begin(), numbers.end());
  numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
  // 0 is no sequence number or UID; written out it would be invalid syntax.
  if (!numbers.empty() && numbers.front() == 0) numbers.erase(numbers.begin());
  std::string out;
  size_t i = 0;
  while (i < numbers.size()) {
    size_t j = i;
    while (j + 1 < numbers.size() && numbers[j + 1] == numbers[j] + 1) ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(numbers[i]);
    if (j > i) {
      out += ':';
      out += std::to_string(numbers[j]);
    }
    i = j + 1;
  }
  return out;
}

}  // namespace hm::imap::proto
