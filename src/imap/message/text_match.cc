#include "imap/message/text_match.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <cstdint>

namespace hm::imap {
namespace {

// ASCII text (headers mostly are) folds without ICU: NFKC leaves ASCII
// alone and case folding is then a-z.
bool is_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

const icu::Normalizer2* casefold_normalizer() {
  static const icu::Normalizer2* instance = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_SUCCESS(status) ? n : nullptr;
  }();
  return instance;
}

}  // namespace

std::string fold_for_search(std::string_view utf8) {
  if (is_ascii(utf8)) {
    std::string out(utf8);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  // fromUTF8 turns each ill-formed sequence into U+FFFD.
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  const icu::Normalizer2* normalizer = casefold_normalizer();
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString folded;
  if (normalizer != nullptr) folded = normalizer->normalize(in, status);
  if (normalizer == nullptr || U_FAILURE(status)) {
    // ICU's data missing would be a broken installation; simple case
    // folding still gives a usable search.
    folded = in;
    folded.foldCase();
  }
  std::string out;
  folded.toUTF8String(out);
  return out;
}

bool FoldedNeedle::found_in(std::string_view utf8) const {
  if (folded_.empty()) return true;
  // Folding keeps ASCII ASCII, so an ASCII needle can be compared against
  // an ASCII text byte by byte without a copy.
  if (is_ascii(utf8)) {
    if (utf8.size() < folded_.size()) return false;
    const auto lower = [](unsigned char c) {
      return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    };
    for (size_t i = 0; i + folded_.size() <= utf8.size(); ++i) {
      size_t j = 0;
      while (j < folded_.size() && lower(static_cast<unsigned char>(utf8[i + j])) == folded_[j]) {
        ++j;
      }
      if (j == folded_.size()) return true;
    }
    return false;
  }
  return fold_for_search(utf8).find(folded_) != std::string::npos;
}

}  // namespace hm::imap
