#include "directory/directory_factory.h"

#include "directory/sqlite/sqlite_directory.h"

using hm::directory::sqlite::OpenMode;
using hm::directory::sqlite::SqliteDirectory;

namespace hm::directory {

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
  if (backend == "ldap") {
    return fail(ErrorKind::kInvalid,
                "[directory] backend = \"ldap\" is not available in this build yet; use "
                "\"sqlite\"");
  }
  return fail(ErrorKind::kInvalid,
              "[directory] backend = \"" + backend + "\" is unknown; use \"sqlite\" or \"ldap\"");
}

}  // namespace hm::directory
