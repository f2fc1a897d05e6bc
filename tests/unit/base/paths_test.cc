#include "base/paths.h"

#include <gtest/gtest.h>

namespace hm {
namespace {

TEST(Paths, ParentOfIsTheFolderThatHoldsThePath) {
  EXPECT_EQ(parent_of("/var/mail/example.org/user/new"), "/var/mail/example.org/user");
  EXPECT_EQ(parent_of("state/queue"), "state");
  EXPECT_EQ(parent_of("/var"), "/");
  EXPECT_EQ(parent_of("/"), "/");
  EXPECT_EQ(parent_of("file"), ".");
  EXPECT_EQ(parent_of(""), ".");
  // Textual: a trailing slash names the folder itself.
  EXPECT_EQ(parent_of("a/b/"), "a/b");
}

}  // namespace
}  // namespace hm
