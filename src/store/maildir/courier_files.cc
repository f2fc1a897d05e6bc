#include "store/maildir/courier_files.h"

#include <algorithm>

namespace hm::store::maildir {

std::vector<std::string> parse_courier_subscriptions(std::string_view text,
                                                     std::vector<std::string>& skipped) {
  constexpr std::string_view kPrefix = "INBOX.";
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::string name;
    if (line == "INBOX") {
      name = "INBOX";
    } else if (line.starts_with(kPrefix) && line.size() > kPrefix.size()) {
      name = std::string(line.substr(kPrefix.size()));
    } else {
      skipped.emplace_back(line);
      continue;
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
  }
  return out;
}

}  // namespace hm::store::maildir
