#include "store/maildir/crc32c.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace hm::store::maildir {
namespace {

TEST(Crc32c, KnownValues) {
  // The check value of CRC-32C (RFC 3720, appendix B.4).
  EXPECT_EQ(crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(crc32c_portable("123456789"), 0xe3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8a9136aau);
}

TEST(Crc32c, HardwareAndTableAgreeAndContinue) {
  std::mt19937 random(7);
  std::string data(1000, '\0');
  for (char& c : data) c = static_cast<char>(random());
  for (size_t n : {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 999, 1000}) {
    const std::string_view part(data.data(), n);
    EXPECT_EQ(crc32c(part), crc32c_portable(part)) << n;
    for (size_t split : {size_t{0}, n / 3, n}) {
      EXPECT_EQ(crc32c(part.substr(split), crc32c(part.substr(0, split))), crc32c(part)) << n;
    }
  }
}

}  // namespace
}  // namespace hm::store::maildir
