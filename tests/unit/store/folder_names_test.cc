#include "store/maildir/folder_names.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "maildir_fixture.h"
#include "store/maildir/maildir_folder.h"

namespace hm::store::maildir {
namespace {

using testing::make_maildir;
using testing::put_file;
using testing::TempDir;

namespace sfs = std::filesystem;

FolderChange fast() { return FolderChange{false}; }

TEST(FolderNames, PathsOfFolders) {
  EXPECT_EQ(*folder_path("/m/", {}), "/m/");
  EXPECT_EQ(*folder_path("/m", {"Sent"}), "/m/.Sent/");
  EXPECT_EQ(*folder_path("/m/", {"Archive", "2024"}), "/m/.Archive.2024/");
  EXPECT_EQ(*folder_path("/m/", {"Entwürfe"}), "/m/.Entwürfe/");
}

TEST(FolderNames, RefusesNamesThatCouldLeaveTheMaildir) {
  const std::vector<FolderName> refused = {
      {""},
      {"a", ""},
      {".."},
      {"."},
      {"a.b"},
      {".hidden"},
      {"a/b"},
      {"../../etc"},
      {"/etc"},
      {std::string("a\0b", 3)},
      {"a\nb"},
      {"tab\there"},
      {"del\x7f"},
      {"~root"},
      {std::string(kMaxFolderPartBytes + 1, 'x')},
      {std::string(150, 'x'), std::string(150, 'y')},  // over 255 bytes on disk
      FolderName(kMaxFolderDepth + 1, "a"),
  };
  for (const FolderName& name : refused) {
    auto path = folder_path("/m/", name);
    ASSERT_FALSE(path) << *path;
    EXPECT_EQ(path.error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(create_folder("/m/", name, fast()).error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(delete_folder("/m/", name, fast()).error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(rename_folder("/m/", name, {"x"}, fast()).error().kind(), ErrorKind::kInvalid);
    EXPECT_EQ(rename_folder("/m/", {"x"}, name, fast()).error().kind(), ErrorKind::kInvalid);
  }
  EXPECT_TRUE(folder_path("/m/", {"a~b", "Ünïcödé", "with space", "&AOQ-"}));
}

TEST(FolderNames, CreateListDelete) {
  TempDir dir;
  const std::string root = make_maildir(dir.path() + "/m");
  ASSERT_TRUE(create_folder(root, {"Sent"}));
  ASSERT_TRUE(create_folder(root, {"Archive", "2024"}, fast()));
  EXPECT_EQ(create_folder(root, {"Sent"}, fast()).error().kind(), ErrorKind::kExists);
  EXPECT_EQ(create_folder(root, {}, fast()).error().kind(), ErrorKind::kInvalid);
  for (const char* part : {"cur", "new", "tmp", kFolderMarker}) {
    EXPECT_TRUE(sfs::exists(root + "/.Sent/" + part)) << part;
  }
  // Not folders: files, links, other tools' and hostmail's own names.
  put_file(root, ".", ".file");
  const std::string outside = dir.path() + "/outside";
  sfs::create_directory(outside);
  put_file(outside, ".", "precious");
  sfs::create_directory_symlink(outside, root + "/.link");
  sfs::create_directory(root + "/hostmail-deleted.1");
  sfs::create_directory(root + "/..a");
  auto list = list_folders(root);
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, (std::vector<FolderName>{{"Archive", "2024"}, {"Sent"}}));

  // A folder opens as a mailbox.
  put_file(root + "/.Sent", "new", "1700000000.M1P1Q1R1.h,S=3");
  auto f = MaildirFolder::open(root + "/.Sent");
  ASSERT_TRUE(f);
  EXPECT_EQ((*f)->messages().size(), 1u);
  f->reset();

  ASSERT_TRUE(delete_folder(root, {"Sent"}));
  EXPECT_FALSE(sfs::exists(root + "/.Sent"));
  EXPECT_EQ(delete_folder(root, {"Sent"}, fast()).error().kind(), ErrorKind::kNotFound);
  EXPECT_FALSE(sfs::exists(root + "/hostmail-deleted.1"));  // a leftover, swept
  // A link is not deleted through: refused, and what it points at stays.
  EXPECT_EQ(delete_folder(root, {"link"}, fast()).error().kind(), ErrorKind::kPermission);
  EXPECT_TRUE(sfs::exists(outside + "/precious"));
  EXPECT_TRUE(sfs::is_symlink(root + "/.link"));
  EXPECT_EQ(*list_folders(root), (std::vector<FolderName>{{"Archive", "2024"}}));
}

TEST(FolderNames, DeleteRemovesLinksNotTheirTargets) {
  TempDir dir;
  const std::string root = make_maildir(dir.path() + "/m");
  const std::string outside = dir.path() + "/outside";
  sfs::create_directory(outside);
  put_file(outside, ".", "precious");
  ASSERT_TRUE(create_folder(root, {"Junk"}, fast()));
  sfs::create_directory_symlink(outside, root + "/.Junk/cur/dir-link");
  sfs::create_symlink(outside + "/precious", root + "/.Junk/new/file-link");
  ASSERT_TRUE(delete_folder(root, {"Junk"}, fast()));
  EXPECT_TRUE(sfs::exists(outside + "/precious"));
  EXPECT_FALSE(sfs::exists(root + "/.Junk"));
}

TEST(FolderNames, RenameTakesSubfoldersAlong) {
  TempDir dir;
  const std::string root = make_maildir(dir.path() + "/m");
  ASSERT_TRUE(create_folder(root, {"A"}, fast()));
  ASSERT_TRUE(create_folder(root, {"A", "B"}, fast()));
  ASSERT_TRUE(create_folder(root, {"AB"}, fast()));  // not below "A"
  ASSERT_TRUE(create_folder(root, {"Taken"}, fast()));
  put_file(root + "/.A.B", "new", "1700000000.M1P1Q1R1.h");

  EXPECT_EQ(rename_folder(root, {"A"}, {"Taken"}, fast()).error().kind(), ErrorKind::kExists);
  // A subfolder's new name taken: nothing moves.
  ASSERT_TRUE(create_folder(root, {"E", "B"}, fast()));
  EXPECT_EQ(rename_folder(root, {"A"}, {"E"}, fast()).error().kind(), ErrorKind::kExists);
  EXPECT_TRUE(sfs::exists(root + "/.A"));
  EXPECT_FALSE(sfs::exists(root + "/.E"));
  ASSERT_TRUE(delete_folder(root, {"E", "B"}, fast()));
  EXPECT_EQ(rename_folder(root, {"A"}, {"A", "C"}, fast()).error().kind(), ErrorKind::kInvalid);
  EXPECT_EQ(rename_folder(root, {"None"}, {"X"}, fast()).error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(rename_folder(root, {}, {"X"}, fast()).error().kind(), ErrorKind::kInvalid);

  ASSERT_TRUE(rename_folder(root, {"A"}, {"C", "D"}));
  EXPECT_EQ(*list_folders(root),
            (std::vector<FolderName>{{"AB"}, {"C", "D"}, {"C", "D", "B"}, {"Taken"}}));
  EXPECT_TRUE(sfs::exists(root + "/.C.D.B/new/1700000000.M1P1Q1R1.h"));
}

}  // namespace
}  // namespace hm::store::maildir
