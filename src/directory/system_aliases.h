#pragma once
// The machine's aliases file (aliases(5), Debian's /etc/aliases): where mail
// for a local name such as "postmaster", "abuse" or "root" goes. The seed
// points every domain's postmaster and abuse at the local names "postmaster"
// and "abuse" and lets /etc/aliases forward them to a person; hostmail reads
// the same file itself, so no `newaliases` is needed.
//
// Format: "name: target, target, ..." per entry; a line that starts with a
// space or tab continues the one before; '#' starts a comment line. Names
// are compared in lower case. A target is a local name or an address; the
// other kinds that sendmail knows ("|command", "/file", ":include:") are
// not followed by hostmail and are reported as skipped, never run.
//
// Thread-safety: pure functions; a SystemAliases is a plain value.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::directory {

using SystemAliases = std::map<std::string, std::vector<std::string>, std::less<>>;

struct ParsedAliases {
  SystemAliases aliases;
  std::vector<std::string> skipped;  // "line N: why", one per entry or target left out
};

ParsedAliases parse_system_aliases(std::string_view text);

// Reads and parses `path`. A file that does not exist is an empty table (a
// machine without /etc/aliases); one that cannot be read is kPermission.
Result<ParsedAliases> load_system_aliases(const std::string& path);

}  // namespace hm::directory
