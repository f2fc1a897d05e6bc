#include "test_backends.h"

#include <stdlib.h>

#include <system_error>

#include "../directory_ldap/slapd_server.h"
#include "directory/ldap/ldap_connection.h"
#include "directory/ldap/ldap_directory.h"
#include "directory/memory/memory_directory.h"
#include "directory/sqlite/sqlite_directory.h"

namespace hm::directory::testing {

ScratchDir::ScratchDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "hm-directory-test-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

namespace {

// One slapd for the whole test process (ctest runs each test in a process of
// its own; a direct run of the binary shares it), and a fresh, empty hosting
// base under its suffix for every directory made.
Result<ldap::LdapDirectory*> make_ldap(std::unique_ptr<Directory>& out, bool auth_by_bind) {
  static std::unique_ptr<ldap::testing::SlapdServer> server;
  static int bases = 0;
  if (!server) {
    auto started = ldap::testing::SlapdServer::start();
    if (!started) return fail(std::move(started).error());
    server = std::move(*started);
  }
  std::string name = "hosting" + std::to_string(++bases);
  std::string base = "o=" + name + "," + ldap::testing::kSuffix;
  auto c = ldap::Connection::open(server->uri(), std::chrono::milliseconds(5000));
  if (!c) return fail(std::move(c).error());
  HM_TRY((*c)->bind({ldap::testing::kRootDn, server->root_password()}));
  HM_TRY((*c)->add(base, {{"objectClass", {"top", "organization"}}, {"o", {name}}}));
  ldap::LdapOptions options;
  options.uris = {server->uri()};
  options.base = base;
  options.bind_dn = ldap::testing::kRootDn;
  options.bind_password = server->root_password();
  options.auth_by_bind = auth_by_bind;
  options.default_home = "/var/vmail/domains";
  auto opened = ldap::LdapDirectory::open(std::move(options));
  if (!opened) return fail(std::move(opened).error());
  ldap::LdapDirectory* raw = opened->get();
  out = std::move(*opened);
  return raw;
}

}  // namespace

std::vector<BackendFactory> directory_backends() {
  return {
      BackendFactory{"memory",
                     [](const std::filesystem::path&) -> Result<std::unique_ptr<Directory>> {
                       return std::make_unique<memory::MemoryDirectory>();
                     },
                     {}},
      BackendFactory{
          "sqlite",
          [](const std::filesystem::path& scratch) -> Result<std::unique_ptr<Directory>> {
            auto opened = sqlite::SqliteDirectory::open((scratch / "directory.db").string(),
                                                        sqlite::OpenMode::kCreateIfMissing);
            if (!opened) return fail(std::move(opened).error());
            return std::unique_ptr<Directory>(std::move(*opened));
          },
          {}},
      // The contract runs with the cache on (its default TTL), so that every
      // write through the object is seen to invalidate it.
      BackendFactory{"ldap",
                     [](const std::filesystem::path&) -> Result<std::unique_ptr<Directory>> {
                       std::unique_ptr<Directory> dir;
                       auto made = make_ldap(dir, true);
                       if (!made) return fail(std::move(made).error());
                       return dir;
                     },
                     {}},
      BackendFactory{"ldap_compare",
                     [](const std::filesystem::path&) -> Result<std::unique_ptr<Directory>> {
                       std::unique_ptr<Directory> dir;
                       auto made = make_ldap(dir, false);
                       if (!made) return fail(std::move(made).error());
                       return dir;
                     },
                     {}},
  };
}

}  // namespace hm::directory::testing
