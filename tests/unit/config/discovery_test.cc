#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace hm::config {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// Runs each test in a fresh temporary working directory with
// $HOSTMAIL_CONFIG unset, and puts both back afterwards.
class Discovery : public ::testing::Test {
 protected:
  void SetUp() override {
    old_cwd_ = fs::current_path();
    if (const char* v = getenv("HOSTMAIL_CONFIG")) old_env_ = v;
    unsetenv("HOSTMAIL_CONFIG");
    std::string pattern = (fs::temp_directory_path() / "hm_discovery_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    fs::current_path(dir_);
  }
  void TearDown() override {
    fs::current_path(old_cwd_);
    if (old_env_) {
      setenv("HOSTMAIL_CONFIG", old_env_->c_str(), 1);
    } else {
      unsetenv("HOSTMAIL_CONFIG");
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string touch(const std::string& name) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "";
    return p.string();
  }

  fs::path dir_;

 private:
  fs::path old_cwd_;
  std::optional<std::string> old_env_;
};

bool system_file_exists() { return fs::exists("/etc/hostmail/hostmail.toml"); }

TEST_F(Discovery, ExplicitPathWinsOverEverything) {
  std::string explicit_file = touch("a/explicit.toml");
  setenv("HOSTMAIL_CONFIG", touch("b/env.toml").c_str(), 1);
  touch("hostmail.toml");
  auto r = find_config_file(explicit_file);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, explicit_file);
}

TEST_F(Discovery, MissingExplicitPathIsAnErrorNotAFallback) {
  touch("hostmail.toml");
  auto r = find_config_file((dir_ / "missing.toml").string());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  EXPECT_THAT(r.error().message(), HasSubstr("missing.toml (named by --config) does not exist"));
  EXPECT_THAT(r.error().message(), HasSubstr("hostmail init"));
}

TEST_F(Discovery, ExplicitDirectoryIsNotAFile) {
  auto r = find_config_file(dir_.string());
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("is not a regular file"));
}

TEST_F(Discovery, EnvironmentComesSecond) {
  std::string env_file = touch("b/env.toml");
  setenv("HOSTMAIL_CONFIG", env_file.c_str(), 1);
  touch("hostmail.toml");
  auto r = find_config_file("");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, env_file);
}

TEST_F(Discovery, MissingEnvironmentFileIsAnError) {
  touch("hostmail.toml");
  setenv("HOSTMAIL_CONFIG", (dir_ / "gone.toml").c_str(), 1);
  auto r = find_config_file("");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("gone.toml (named by $HOSTMAIL_CONFIG)"));
}

TEST_F(Discovery, EmptyEnvironmentIsIgnored) {
  setenv("HOSTMAIL_CONFIG", "", 1);
  touch("hostmail.toml");
  auto r = find_config_file("");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, "./hostmail.toml");
}

TEST_F(Discovery, WorkingDirectoryFileThird) {
  touch("hostmail.toml");
  auto r = find_config_file("");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, "./hostmail.toml");
}

TEST_F(Discovery, NothingFoundListsWhereItLooked) {
  if (system_file_exists()) GTEST_SKIP() << "/etc/hostmail/hostmail.toml exists on this machine";
  auto r = find_config_file("");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
  const std::string& m = r.error().message();
  EXPECT_THAT(m, HasSubstr("--config FILE"));
  EXPECT_THAT(m, HasSubstr("$HOSTMAIL_CONFIG"));
  EXPECT_THAT(m, HasSubstr("./hostmail.toml"));
  EXPECT_THAT(m, HasSubstr("/etc/hostmail/hostmail.toml"));
  EXPECT_THAT(m, HasSubstr("run `hostmail init --dir DIR`"));
}

TEST_F(Discovery, StarterConfigLoadsAndPassesCheck) {
  fs::path dir = dir_ / "site";
  // `hostmail init` creates the certificate; check() wants it to exist.
  touch("site/tls/cert.pem");
  touch("site/tls/key.pem");
  std::string text = starter_config(dir.string(), /*running_as_root=*/false);
  auto r = load_string(text, (dir / "hostmail.toml").string());
  ASSERT_TRUE(r) << r.error().message() << "\n" << text;
  const Config& c = *r;
  EXPECT_TRUE(check(c).empty());
  EXPECT_EQ(c.directory.backend, "sqlite");
  EXPECT_EQ(c.directory.sqlite.path, (dir / "state/directory.db").string());
  EXPECT_EQ(c.storage.virtual_base, (dir / "vmail/domains").string());
  EXPECT_EQ(c.storage.state_dir, (dir / "state").string());
  EXPECT_EQ(c.tls.cert, (dir / "tls/cert.pem").string());
  EXPECT_EQ(c.tls.key, (dir / "tls/key.pem").string());
  EXPECT_EQ(c.listen.smtp, std::vector<std::string>{"127.0.0.1:2525"});
  EXPECT_EQ(c.listen.submission, std::vector<std::string>{"127.0.0.1:2587"});
  EXPECT_EQ(c.listen.smtps, std::vector<std::string>{"127.0.0.1:2465"});
  EXPECT_EQ(c.listen.imap, std::vector<std::string>{"127.0.0.1:2143"});
  EXPECT_EQ(c.listen.imaps, std::vector<std::string>{"127.0.0.1:2993"});
  EXPECT_EQ(c.listen.pop3, std::vector<std::string>{"127.0.0.1:2110"});
  EXPECT_EQ(c.listen.pop3s, std::vector<std::string>{"127.0.0.1:2995"});
  EXPECT_EQ(c.listen.admin, std::vector<std::string>{"127.0.0.1:8080"});
  EXPECT_EQ(c.limits.message_size, 50u * 1024 * 1024);
  EXPECT_FALSE(c.local.enabled);
  // Not root: the files belong to whoever runs it.
  EXPECT_FALSE(c.storage.vmail_user.empty());
  if (geteuid() != 0) {
    EXPECT_NE(c.storage.vmail_user, "vmail");
  }
  // Comments for a person to read.
  EXPECT_THAT(text, HasSubstr("# "));
}

TEST_F(Discovery, StarterConfigAsRootUsesVmail) {
  std::string text = starter_config("/srv/hostmail", /*running_as_root=*/true);
  EXPECT_THAT(text, HasSubstr("vmail_user = \"vmail\""));
  EXPECT_THAT(text, HasSubstr("vmail_group = \"vmail\""));
  EXPECT_THAT(text, HasSubstr("path = \"/srv/hostmail/state/directory.db\""));
  std::string named = starter_config("/srv/hostmail", /*running_as_root=*/true, "mailer", "mail");
  EXPECT_THAT(named, HasSubstr("vmail_user = \"mailer\""));
  EXPECT_THAT(named, HasSubstr("vmail_group = \"mail\""));
}

TEST_F(Discovery, StarterConfigMakesRelativeDirAbsoluteAndQuotes) {
  touch("odd \"dir\"/tls/cert.pem");
  touch("odd \"dir\"/tls/key.pem");
  std::string text = starter_config("odd \"dir\"/", /*running_as_root=*/true);
  auto r = load_string(text, "/elsewhere/hostmail.toml");
  ASSERT_TRUE(r) << r.error().message() << "\n" << text;
  EXPECT_EQ(r->storage.state_dir, (dir_ / "odd \"dir\"" / "state").string());
  EXPECT_EQ(r->tls.key, (dir_ / "odd \"dir\"" / "tls" / "key.pem").string());
}

}  // namespace
}  // namespace hm::config
