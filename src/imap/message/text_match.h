#pragma once
// SEARCH's string matching (RFC 3501 6.4.4: "case-insensitive substring"),
// made Unicode-aware with ICU: both sides are brought to NFKC with full
// case folding (Unicode's NFKC_Casefold), so "GRÜSSE" finds "Grüße" (ß folds
// to ss), a decomposed "ü" finds a composed one, and "ＡＢＣ" finds "abc".
//
// Thread-safety: pure functions (ICU's normalizer instance is immutable and
// shared).

#include <string>
#include <string_view>

namespace hm::imap {

// `utf8` folded for matching; invalid UTF-8 sequences count as U+FFFD.
std::string fold_for_search(std::string_view utf8);

// A needle folded once and matched against many texts.
class FoldedNeedle {
 public:
  explicit FoldedNeedle(std::string_view utf8) : folded_(fold_for_search(utf8)) {}
  // Whether the folded `utf8` contains the needle; an empty needle matches
  // everything.
  bool found_in(std::string_view utf8) const;
  const std::string& folded() const { return folded_; }

 private:
  std::string folded_;
};

}  // namespace hm::imap
