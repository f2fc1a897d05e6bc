#pragma once
// Helpers for the tests of store/maildir: a temporary folder, a Maildir in
// it, and files put into new/ or cur/ by hand (as another tool would).

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hm::store::maildir::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hm-folder-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Creates <path>/{cur,new,tmp}.
inline std::string make_maildir(const std::string& path) {
  for (const char* sub : {"cur", "new", "tmp"}) {
    std::filesystem::create_directories(path + "/" + sub);
  }
  return path;
}

// Writes `body` to <maildir>/<sub>/<name>.
inline void put_file(const std::string& maildir, const std::string& sub, const std::string& name,
                     const std::string& body = "Subject: x\n\nhello\n") {
  std::ofstream(maildir + "/" + sub + "/" + name) << body;
}

// A name as delivery makes it, with a given delivery time.
inline std::string name_at(long seconds, long micros, int n) {
  return std::to_string(seconds) + ".M" + std::to_string(micros) + "P1Q" + std::to_string(n) +
         "R0.test,S=19,W=20";
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace hm::store::maildir::testing
