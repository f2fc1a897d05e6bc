#pragma once
// Opens the directory backend named by the configuration ([directory]
// backend). The one place that knows every backend, so protocol and admin
// code only see the Directory interface.

#include <memory>

#include "base/result.h"
#include "config/config.h"
#include "directory/directory.h"

namespace hm::directory {

enum class OpenPurpose {
  kUse,     // the CLI: the directory must exist
  kCreate,  // `hostmail init`: create the embedded database if missing
  kServe,   // the daemon: as kUse, and long-lived, so the LDAP backend follows
            // changes made by other tools ([directory.ldap] follow_changes)
};

Result<std::unique_ptr<Directory>> open_directory(const config::Config& config,
                                                  OpenPurpose purpose = OpenPurpose::kUse);

}  // namespace hm::directory
