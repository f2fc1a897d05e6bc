#include "imap/message/text_match.h"

#include <gtest/gtest.h>

namespace hm::imap {
namespace {

TEST(TextMatch, AsciiIsCaseInsensitive) {
  FoldedNeedle n("HeLLo");
  EXPECT_TRUE(n.found_in("say hello world"));
  EXPECT_TRUE(n.found_in("HELLO"));
  EXPECT_FALSE(n.found_in("hell o"));
  EXPECT_TRUE(FoldedNeedle("").found_in("anything"));
  EXPECT_TRUE(FoldedNeedle("").found_in(""));
}

// ICU's full case folding with NFKC (NFKC_Casefold): what folding gives,
// pinned.
TEST(TextMatch, UnicodeFullCaseFolding) {
  EXPECT_EQ(fold_for_search("Gr\xC3\xBC\xC3\x9F"
                            "e"),
            "gr\xC3\xBCsse");  // Grüße -> grüsse
  EXPECT_EQ(fold_for_search("GR\xC3\x9C"
                            "SSE"),
            "gr\xC3\xBCsse");  // GRÜSSE
  EXPECT_TRUE(FoldedNeedle("GR\xC3\x9C"
                           "SSE")
                  .found_in("Viele Gr\xC3\xBC\xC3\x9F"
                            "e!"));
  EXPECT_TRUE(FoldedNeedle("gr\xC3\xBC\xC3\x9F"
                           "e")
                  .found_in("VIELE GR\xC3\x9CSSE"));
  // Greek final sigma and capital sigma fold alike.
  EXPECT_TRUE(FoldedNeedle("\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x9F\xCE\xA3")     // ΣΟΦΟΣ
                  .found_in("\xCF\x83\xCE\xBF\xCF\x86\xCE\xBF\xCF\x82"));  // σοφος
  // A decomposed u + combining diaeresis matches the composed ü.
  EXPECT_TRUE(FoldedNeedle("Mu\xCC\x88ller").found_in("M\xC3\x9CLLER"));
  // Full-width letters are their ASCII letters (compatibility folding).
  EXPECT_TRUE(FoldedNeedle("\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3").found_in("xabcx"));
  // The Kelvin sign is a K.
  EXPECT_TRUE(FoldedNeedle("\xE2\x84\xAA").found_in("ok"));
  EXPECT_FALSE(FoldedNeedle("\xC3\xBC").found_in("u"));
}

TEST(TextMatch, InvalidUtf8DoesNotMatchByAccident) {
  EXPECT_EQ(fold_for_search("a\xFF"), "a\xEF\xBF\xBD");
  EXPECT_FALSE(FoldedNeedle("\xC3").found_in("\xC3\xA9"));
}

}  // namespace
}  // namespace hm::imap
