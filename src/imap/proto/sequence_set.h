#pragma once
// IMAP sequence sets (RFC 3501 9 "sequence-set"): "1:4,7,9:*". Parsed into
// ranges as sent; "*" is kept symbolic (kStar) because its value depends on
// the selected mailbox, which this layer does not know.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hm::imap::proto {

// "*": the largest number in use in the mailbox. 0 is never a valid
// sequence number or UID, so it can stand for it.
constexpr uint32_t kStar = 0;

struct SeqRange {
  uint32_t first = 1;  // as sent: first may be greater than last ("5:2" = "2:5")
  uint32_t last = 1;
  bool operator==(const SeqRange&) const = default;
};

struct SequenceSet {
  std::vector<SeqRange> ranges;
  bool operator==(const SequenceSet&) const = default;

  // Whether `n` is in the set, with "*" meaning `star` (the largest number in
  // use; for an empty mailbox pass 0 and "*" matches nothing).
  bool contains(uint32_t n, uint32_t star) const;
};

// Parses a whole sequence set; nullopt on a syntax error (empty, 0, a number
// over 2^32-1, a stray comma or colon). At most kMaxRanges ranges.
std::optional<SequenceSet> parse_sequence_set(std::string_view text);
constexpr size_t kMaxRanges = 100000;

// Writes a set in wire form: "1:3,5,*".
std::string format_sequence_set(const SequenceSet& set);

// Compresses numbers (any order, duplicates allowed) into the shortest set:
// {1,2,3,5,6,9} -> "1:3,5:6,9". Empty input gives "" (callers write NIL or
// leave the item out: an empty sequence set is not valid syntax).
std::string format_numbers(std::vector<uint32_t> numbers);

}  // namespace hm::imap::proto
