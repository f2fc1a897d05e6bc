#include "store/maildir/migration_check.h"

#include <fcntl.h>

#include <unordered_set>

#include "base/folder_fd.h"
#include "base/log.h"
#include "store/maildir/uid_list.h"

namespace hm::store::maildir {
namespace {

Result<FolderCheck> check_folder(const std::string& root, const FolderName& name) {
  auto path = folder_path(root, name);
  if (!path) return fail(path.error());
  std::string shown = *path;
  while (shown.size() > 1 && shown.back() == '/') shown.pop_back();
  auto dir = open_folder_nofollow(AT_FDCWD, shown, shown);
  if (!dir) return fail(dir.error());
  auto files = present_messages(dir->get(), shown);
  if (!files) return fail(files.error());
  FolderCheck out;
  out.name = name;
  out.messages = files->size();

  auto own = read_uid_list(dir->get(), shown);
  if (own && *own) {
    out.source = UidSource::kHostmail;
    out.uid_validity = (*own)->uid_validity;
    std::unordered_set<std::string> listed;
    for (const UidEntry& e : (*own)->entries) listed.insert(e.base);
    uint64_t unnamed = 0;
    for (const auto& [base, flags] : *files) unnamed += listed.count(base) ? 0 : 1;
    out.uid_next = (*own)->uid_next + unnamed;
    return out;
  }
  if (!own) {
    if (own.error().kind() != ErrorKind::kInvalid) return fail(own.error());
    log::warning("{}", own.error().message());
  } else {
    // The same order as the first open (foreign_uid_list.h).
    const UidSource present = foreign_uid_list_present(dir->get());
    if (present != UidSource::kNew) {
      auto text = read_foreign_uid_list(dir->get(), present, shown);
      if (!text) return fail(text.error());
      auto foreign = present == UidSource::kDovecot ? parse_dovecot_uidlist(*text)
                                                    : parse_courier_uiddb(*text);
      if (!foreign) {
        log::warning("{}/{} is corrupt ({})", shown, uid_source_name(present),
                     foreign.error().message());
      } else {
        std::vector<std::string> dropped;
        UidList list = list_from_foreign(*foreign, *files, dropped);
        out.source = present;
        out.uid_validity = list.uid_validity;
        out.uid_next = list.uid_next + (files->size() - list.entries.size());
        // The line about a raised UIDNEXT is no dropped entry.
        for (const std::string& d : dropped) out.dropped += d.starts_with("next UID") ? 0 : 1;
        return out;
      }
    }
  }
  out.uid_next = 1 + files->size();
  return out;
}

}  // namespace

Result<std::vector<FolderCheck>> check_account_folders(const std::string& root) {
  auto folders = list_folders(root);
  if (!folders) return fail(folders.error());
  std::vector<FolderCheck> out;
  auto inbox = check_folder(root, {});
  if (!inbox) return fail(inbox.error());
  out.push_back(std::move(*inbox));
  for (const FolderName& name : *folders) {
    auto one = check_folder(root, name);
    if (!one) return fail(one.error());
    out.push_back(std::move(*one));
  }
  return out;
}

}  // namespace hm::store::maildir
