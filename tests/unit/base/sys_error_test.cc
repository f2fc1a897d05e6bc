#include "base/sys_error.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace hm {
namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST(SysError, NamesTheActionThePathAndTheSystemsWords) {
  Error e = sys_error(ENOTDIR, "create folder", "/srv/mail/a");
  EXPECT_EQ(e.kind(), ErrorKind::kTemporary);
  EXPECT_TRUE(contains(e.message(), "cannot create folder /srv/mail/a: Not a directory"))
      << e.message();
  EXPECT_EQ(e.detail(), "errno " + std::to_string(ENOTDIR));
}

TEST(SysError, PermissionErrorsSayWhereToLook) {
  for (int err : {EACCES, EPERM}) {
    Error e = sys_error(err, "open", "/srv/mail/a/tmp");
    EXPECT_EQ(e.kind(), ErrorKind::kPermission);
    EXPECT_TRUE(contains(e.message(), "check the owner and mode")) << e.message();
  }
}

TEST(SysError, DiskTroubleIsTemporaryAndSaysWhich) {
  EXPECT_TRUE(contains(sys_error(ENOSPC, "write", "f").message(), "file system is full"));
  EXPECT_TRUE(contains(sys_error(EDQUOT, "write", "f").message(), "quota"));
  EXPECT_TRUE(contains(sys_error(EIO, "fsync", "f").message(), "I/O error"));
  for (int err : {ENOSPC, EDQUOT, EIO}) {
    EXPECT_EQ(sys_error(err, "write", "f").kind(), ErrorKind::kTemporary);
  }
}

TEST(SysError, MissingIsWhatTheCallerSays) {
  EXPECT_EQ(sys_error(ENOENT, "open", "f").kind(), ErrorKind::kTemporary);
  EXPECT_EQ(sys_error(ENOENT, "open", "f", ErrorKind::kNotFound).kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace hm
