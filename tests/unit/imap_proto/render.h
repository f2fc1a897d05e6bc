#pragma once
// A readable one-line rendering of a parsed IMAP command, for transcript
// .ref files and test failure messages. Test-only.

#include <string>

#include "imap/proto/command.h"

namespace hm::imap::proto {

std::string render(const Command& command);
std::string render(const SearchKey& key);
std::string render(const FetchAtt& att);

}  // namespace hm::imap::proto
