// KeyStore: keys written with exact modes whatever the umask, never
// overwritten unasked, read back; keys and folders others may read or write
// refused with the command that fixes them; symbolic links refused.

#include "dkim/key_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace hm::dkim {
namespace {

namespace stdfs = std::filesystem;

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (stdfs::temp_directory_path() / "hm-dkim-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ + "/keys";
  }
  void TearDown() override { stdfs::remove_all(root_); }

  SigningKey make(std::string domain, std::string selector,
                  Algorithm a = Algorithm::kEd25519Sha256) {
    return *SigningKey::generate(a, std::move(domain), std::move(selector));
  }
  mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  std::string root_;
  std::string dir_;
};

class Umask {
 public:
  explicit Umask(mode_t m) : old_(::umask(m)) {}
  ~Umask() { ::umask(old_); }

 private:
  mode_t old_;
};

TEST_F(KeyStoreTest, WritesExactModesWhateverTheUmask) {
  for (mode_t mask : {mode_t{0}, mode_t{0777}, mode_t{022}}) {
    Umask u(mask);
    std::string domain = "m" + std::to_string(mask) + ".example";
    ASSERT_TRUE(KeyStore::write_key(dir_, make(domain, "s1"), false));
    EXPECT_EQ(mode_of(dir_ + "/" + domain + "/s1.key"), 0600u) << mask;
    EXPECT_EQ(mode_of(dir_ + "/" + domain), 0700u) << mask;
    EXPECT_EQ(mode_of(dir_), 0700u) << mask;
  }
}

TEST_F(KeyStoreTest, RefusesToOverwriteUnlessAsked) {
  SigningKey first = make("example.org", "s1");
  ASSERT_TRUE(KeyStore::write_key(dir_, first, false));
  auto again = KeyStore::write_key(dir_, make("example.org", "s1"), false);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind(), ErrorKind::kExists);
  EXPECT_NE(again.error().message().find("--force"), std::string::npos);
  auto keys = KeyStore::read_domain(dir_, "example.org", {});
  ASSERT_TRUE(keys);
  EXPECT_EQ((*keys)[0].dns_txt(), first.dns_txt());  // the old key untouched

  SigningKey second = make("example.org", "s1", Algorithm::kRsaSha256);
  ASSERT_TRUE(KeyStore::write_key(dir_, second, true));
  keys = KeyStore::read_domain(dir_, "example.org", {});
  ASSERT_TRUE(keys);
  EXPECT_EQ((*keys)[0].dns_txt(), second.dns_txt());
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : stdfs::directory_iterator(dir_ + "/example.org")) {
    EXPECT_EQ(e.path().filename(), "s1.key");
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(KeyStoreTest, FindsTheConfiguredSelectorOrTheOnlyKey) {
  ASSERT_TRUE(KeyStore::write_key(dir_, make("a.example", "default"), false));
  ASSERT_TRUE(KeyStore::write_key(dir_, make("a.example", "old"), false));
  ASSERT_TRUE(KeyStore::write_key(dir_, make("b.example", "other"), false));
  ASSERT_TRUE(KeyStore::write_key(dir_, make("c.example", "x1"), false));
  ASSERT_TRUE(KeyStore::write_key(dir_, make("c.example", "x2"), false));
  auto store = KeyStore::open(dir_, {});
  ASSERT_TRUE(store) << store.error().describe();
  ASSERT_NE(store->find("a.example"), nullptr);
  EXPECT_EQ(store->find("a.example")->selector(), "default");
  ASSERT_NE(store->find("b.example"), nullptr);
  EXPECT_EQ(store->find("b.example")->selector(), "other");
  EXPECT_EQ(store->find("c.example"), nullptr);
  EXPECT_NE(store->selector_problem("c.example").find("x1, x2"), std::string::npos);
  EXPECT_EQ(store->find("unknown.example"), nullptr);
  EXPECT_EQ(store->selector_problem("unknown.example"), "");

  KeyStoreOptions o;
  o.selector = "old";
  store = KeyStore::open(dir_, o);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->find("a.example")->selector(), "old");
}

TEST_F(KeyStoreTest, MissingFolderIsAnEmptyStore) {
  auto store = KeyStore::open(dir_, {});
  ASSERT_TRUE(store);
  EXPECT_EQ(store->find("example.org"), nullptr);
  auto keys = KeyStore::read_domain(dir_, "example.org", {});
  ASSERT_FALSE(keys);
  EXPECT_EQ(keys.error().kind(), ErrorKind::kNotFound);
  EXPECT_NE(keys.error().message().find("hostmail dkim keygen example.org"), std::string::npos);
}

TEST_F(KeyStoreTest, RefusesKeysOthersMayRead) {
  ASSERT_TRUE(KeyStore::write_key(dir_, make("example.org", "s1"), false));
  std::string key = dir_ + "/example.org/s1.key";
  for (mode_t bad : {mode_t{0640}, mode_t{0604}, mode_t{0620}}) {
    ASSERT_EQ(::chmod(key.c_str(), bad), 0);
    auto store = KeyStore::open(dir_, {});
    ASSERT_FALSE(store) << bad;
    EXPECT_EQ(store.error().kind(), ErrorKind::kPermission);
    EXPECT_NE(store.error().message().find("chmod 600 " + key), std::string::npos)
        << store.error().message();
  }
  ASSERT_EQ(::chmod(key.c_str(), 0400), 0);
  EXPECT_TRUE(KeyStore::open(dir_, {}));
}

TEST_F(KeyStoreTest, RefusesFoldersOthersMayWrite) {
  ASSERT_TRUE(KeyStore::write_key(dir_, make("example.org", "s1"), false));
  std::string folder = dir_ + "/example.org";
  ASSERT_EQ(::chmod(folder.c_str(), 0770), 0);
  auto store = KeyStore::open(dir_, {});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message().find("chmod 700 " + folder), std::string::npos);
  ASSERT_EQ(::chmod(folder.c_str(), 0755), 0);  // readable is fine: the key itself is 0600
  EXPECT_TRUE(KeyStore::open(dir_, {}));
}

TEST_F(KeyStoreTest, RefusesKeysOfOtherOwners) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  ASSERT_TRUE(KeyStore::write_key(dir_, make("example.org", "s1"), false));
  std::string key = dir_ + "/example.org/s1.key";
  ASSERT_EQ(::chown(key.c_str(), 54321, 54321), 0);
  auto store = KeyStore::open(dir_, {});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message().find("chown root: " + key), std::string::npos);
  KeyStoreOptions daemon;
  daemon.daemon_uid = 54321;
  EXPECT_TRUE(KeyStore::open(dir_, daemon));
}

TEST_F(KeyStoreTest, NeverFollowsSymbolicLinks) {
  ASSERT_TRUE(KeyStore::write_key(dir_, make("example.org", "s1"), false));
  // A link as a key file.
  stdfs::create_symlink(dir_ + "/example.org/s1.key", dir_ + "/example.org/s2.key");
  auto store = KeyStore::open(dir_, {});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message().find("symbolic link"), std::string::npos);
  stdfs::remove(dir_ + "/example.org/s2.key");
  // A link as a domain folder.
  stdfs::create_directory_symlink(dir_ + "/example.org", dir_ + "/example.net");
  store = KeyStore::open(dir_, {});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message().find("symbolic link"), std::string::npos);
  // And writing through one.
  auto written = KeyStore::write_key(dir_, make("example.net", "s9"), false);
  ASSERT_FALSE(written);
  EXPECT_FALSE(stdfs::exists(dir_ + "/example.org/s9.key"));
  stdfs::remove(dir_ + "/example.net");
  EXPECT_TRUE(KeyStore::open(dir_, {}));
}

TEST_F(KeyStoreTest, BadNamesAndContentsAreNamed) {
  ASSERT_TRUE(KeyStore::write_key(dir_, make("example.org", "s1"), false));
  std::string junk = dir_ + "/example.org/bad name.key";
  {
    FILE* f = fopen(junk.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fclose(f);
  }
  ASSERT_EQ(::chmod(junk.c_str(), 0600), 0);
  auto store = KeyStore::open(dir_, {});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message().find(junk), std::string::npos);
  stdfs::rename(junk, dir_ + "/example.org/s2.key");
  store = KeyStore::open(dir_, {});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message().find("not an unencrypted PEM private key"), std::string::npos);
  stdfs::remove(dir_ + "/example.org/s2.key");
  // Other files are ignored.
  {
    FILE* f = fopen((dir_ + "/README").c_str(), "w");
    fclose(f);
    f = fopen((dir_ + "/example.org/notes.txt").c_str(), "w");
    fclose(f);
  }
  EXPECT_TRUE(KeyStore::open(dir_, {}));
}

}  // namespace
}  // namespace hm::dkim
