#include "imap/message/search.h"
#include <gtest/gtest.h>
namespace hm::imap {
namespace {
TEST(Search, Placeholder) {}
}  // namespace
}  // namespace hm::imap
