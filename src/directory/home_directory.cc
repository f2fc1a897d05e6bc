#include "directory/home_directory.h"

#include <filesystem>

namespace hm::directory {
namespace {

constexpr size_t kExamples = 3;

// A path in a form two spellings of one folder share: normalized, without a
// trailing '/'.
std::string folder_key(std::string_view path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

bool home_differs(const Account& account, std::string_view virtual_base) {
  if (account.home_directory.empty() || virtual_base.empty()) return false;
  return folder_key(account.home_directory) != folder_key(virtual_base);
}

HomeMismatches home_mismatches(const std::vector<Account>& accounts,
                               std::string_view virtual_base) {
  HomeMismatches found;
  for (const Account& a : accounts) {
    if (!home_differs(a, virtual_base)) continue;
    ++found.count;
    if (found.examples.size() < kExamples) found.examples.push_back(a);
  }
  return found;
}

Result<HomeMismatches> find_home_mismatches(Directory& directory, std::string_view virtual_base) {
  auto accounts = directory.list_accounts("");
  if (!accounts) return fail(std::move(accounts).error());
  return home_mismatches(*accounts, virtual_base);
}

std::string describe(const HomeMismatches& found, std::string_view virtual_base) {
  if (found.count == 0) return {};
  std::string text =
      std::to_string(found.count) + (found.count == 1 ? " account has" : " accounts have") +
      " a homeDirectory other than [storage] virtual_base " + std::string(virtual_base) + " (";
  for (size_t i = 0; i < found.examples.size(); ++i) {
    if (i > 0) text += ", ";
    text += found.examples[i].address + ": " + found.examples[i].home_directory;
  }
  if (found.count > found.examples.size()) text += ", ...";
  text +=
      "); hostmail ignores homeDirectory and delivers to virtual_base/<mailbox>, so another "
      "server that reads homeDirectory (Courier IMAP during a switch) sees other Maildirs: set "
      "virtual_base to that folder, or change the entries' homeDirectory";
  return text;
}

}  // namespace hm::directory
