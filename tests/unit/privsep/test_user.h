#pragma once
// A local user the privsep tests can deliver to: the test's own user when
// not root; as root, "nobody" with a temporary home handed to it.

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "privsep/local_user.h"

namespace hm::privsep::testing {

class TestHome {
 public:
  TestHome() {
    char tmpl[] = "/tmp/hm-privsep-XXXXXX";
    home_ = ::mkdtemp(tmpl);
    user_.home = home_;
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("nobody");
      user_.name = "nobody";
      user_.uid = pw ? pw->pw_uid : 65534;
      user_.gid = pw ? pw->pw_gid : 65534;
      [[maybe_unused]] int r = ::chown(home_.c_str(), user_.uid, user_.gid);
    } else {
      const passwd* pw = ::getpwuid(::geteuid());
      user_.name = pw ? pw->pw_name : "me";
      user_.uid = ::geteuid();
      user_.gid = ::getegid();
    }
    user_.shell = "/bin/sh";
  }
  ~TestHome() {
    std::error_code ec;
    std::filesystem::remove_all(home_, ec);
  }
  const LocalUser& user() const { return user_; }
  const std::string& home() const { return home_; }

  // An executable script in the home, for a mailbox command.
  std::string script(const std::string& name, const std::string& body) const {
    std::string path = home_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0755);
    return path;
  }

  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string home_;
  LocalUser user_;
};

}  // namespace hm::privsep::testing
