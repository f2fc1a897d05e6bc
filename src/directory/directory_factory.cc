#include "directory/directory_factory.h"

#include <fstream>
#include <sstream>

#include "directory/ldap/ldap_directory.h"
#include "directory/sqlite/sqlite_directory.h"

using hm::directory::sqlite::OpenMode;
using hm::directory::sqlite::SqliteDirectory;

namespace hm::directory {
namespace {

Result<std::unique_ptr<Directory>> open_ldap(const config::Config& config, OpenPurpose purpose) {
  const config::LdapConfig& l = config.directory.ldap;
  ldap::LdapOptions o;
  o.uris = l.uris;
  o.base = l.base;
  o.bind_dn = l.bind_dn;
  if (!l.bind_password_file.empty()) {
    std::ifstream in(l.bind_password_file);
    if (!in) {
      return fail(ErrorKind::kInvalid, "cannot read [directory.ldap] bind_password_file " +
                                           l.bind_password_file +
                                           "; check that it exists and hostmail may read it");
    }
    std::stringstream text;
    text << in.rdbuf();
    o.bind_password = text.str();
    // One line, as `echo secret > file` writes it.
    while (!o.bind_password.empty() &&
           (o.bind_password.back() == '\n' || o.bind_password.back() == '\r')) {
      o.bind_password.pop_back();
    }
  }
  o.auth_by_bind = l.auth != "compare";
  o.timeout = std::chrono::milliseconds(l.timeout_ms);
  o.cache_ttl = std::chrono::seconds(l.cache_ttl_s);
  o.pool_size = l.pool_size;
  // Only the daemon follows changes: a CLI command lives too briefly for
  // its cache to go stale, and a follower would cost it a connection.
  if (purpose == OpenPurpose::kServe) {
    o.follow_changes = l.follow_changes == "on"    ? ldap::FollowMode::kOn
                       : l.follow_changes == "off" ? ldap::FollowMode::kOff
                                                   : ldap::FollowMode::kAuto;
  }
  o.account_filter = l.account_filter;
  o.alias_filter = l.alias_filter;
  o.domain_filter = l.domain_filter;
  o.account_attribute = l.account_attribute;
  o.alias_attribute = l.alias_attribute;
  o.default_home = config.storage.virtual_base;
  o.superuser = config.admin.superuser;
  auto opened = ldap::LdapDirectory::open(std::move(o));
  if (!opened) return fail(std::move(opened).error());
  return std::unique_ptr<Directory>(std::move(*opened));
}

}  // namespace

Result<std::unique_ptr<Directory>> open_directory(const config::Config& config,
                                                  OpenPurpose purpose) {
  const std::string& backend = config.directory.backend;
  if (backend == "sqlite") {
    auto db = SqliteDirectory::open(config.directory.sqlite.path, purpose == OpenPurpose::kCreate
                                                                      ? OpenMode::kCreateIfMissing
                                                                      : OpenMode::kMustExist);
    if (!db) return fail(std::move(db).error());
    return std::unique_ptr<Directory>(std::move(*db));
  }
  // The tree must exist already: `hostmail init` creates nothing in LDAP
  // (load it with ldapadd, see docs/ldap.md).
  if (backend == "ldap") return open_ldap(config, purpose);
  return fail(ErrorKind::kInvalid,
              "[directory] backend = \"" + backend + "\" is unknown; use \"sqlite\" or \"ldap\"");
}

}  // namespace hm::directory
