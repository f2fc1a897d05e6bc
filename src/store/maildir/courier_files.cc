#include "store/maildir/courier_files.h"

#include <algorithm>
#include <charconv>

#include "store/maildir/maildir_name.h"

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

std::map<std::string, std::vector<std::string>> parse_courier_keywords(std::string_view text) {
  std::vector<std::string> names;
  std::map<std::string, std::vector<std::string>> out;
  bool in_messages = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!in_messages) {
      if (line.empty()) {
        in_messages = true;
      } else {
        names.emplace_back(line);
      }
      continue;
    }
    // The indexes follow the last ':' (a name may hold one: ":2,S").
    const size_t colon = line.rfind(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    auto parsed = parse_maildir_name(line.substr(0, colon));
    if (!parsed) continue;
    std::vector<std::string>& kws = out[parsed->base];
    std::string_view rest = line.substr(colon + 1);
    while (!rest.empty()) {
      const size_t sp = rest.find(' ');
      std::string_view word = rest.substr(0, sp);
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
      size_t index = 0;
      auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), index);
      if (word.empty() || ec != std::errc() || end != word.data() + word.size()) continue;
      if (index >= names.size()) continue;
      if (std::find(kws.begin(), kws.end(), names[index]) == kws.end()) kws.push_back(names[index]);
    }
    if (kws.empty()) out.erase(parsed->base);
  }
  return out;
}

}  // namespace hm::store::maildir
