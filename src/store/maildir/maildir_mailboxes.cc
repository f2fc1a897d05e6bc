#include "store/maildir/maildir_mailboxes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/folder_fd.h"
#include "base/line_ends.h"
#include "base/log.h"
#include "base/sys_error.h"
#include "store/maildir/folder_names.h"
#include "store/maildir/maildir_append.h"
#include "store/maildir/maildir_folder.h"
#include "store/maildir/maildir_mailbox.h"
#include "store/maildir/maildir_name.h"
#include "store/maildir/maildir_quota.h"
#include "store/maildir/uid_list.h"

namespace hm::store::maildir {

namespace {

constexpr mode_t kDirMode = 0700;

struct DefaultFolder {
  const char* name;
  const char* attribute;
};
constexpr DefaultFolder kDefaultFolders[] = {
    {"Sent", "\\Sent"}, {"Drafts", "\\Drafts"},   {"Trash", "\\Trash"},
    {"Junk", "\\Junk"}, {"Archive", "\\Archive"},
};

FolderChange change_of(const MaildirAccount& a) {
  FolderChange how;
  how.fsync = a.fsync;
  return how;
}

std::string strip(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

Result<std::unique_ptr<MaildirMailboxes>> MaildirMailboxes::open(MaildirAccount account) {
  if (account.root.empty()) return fail(ErrorKind::kInvalid, "no Maildir given");
  if (account.root.back() != '/') account.root += '/';
  std::unique_ptr<MaildirMailboxes> boxes(
      new MaildirMailboxes(std::make_shared<const MaildirAccount>(std::move(account))));
  AsOwner as(*boxes->account_);
  HM_TRY(boxes->set_up());
  return boxes;
}

Status MaildirMailboxes::set_up() {
  const std::string root = strip(account_->root);
  // The INBOX: cur/ new/ tmp/ (tmp/ last, as delivery makes them, so that
  // tmp/ means a whole Maildir), each durable before we go on.
  struct stat st {};
  if (::lstat((root + "/tmp").c_str(), &st) != 0) {
    std::vector<std::string> created;
    HM_TRY(fs::make_folders(root, kDirMode, created));
    for (const char* sub : {"cur", "new", "tmp"}) {
      const std::string dir = root + "/" + sub;
      if (fs::file_system().mkdir(AT_FDCWD, dir.c_str(), kDirMode) == 0) {
        created.push_back(dir);
      } else if (errno != EEXIST) {
        return fail(sys_error(errno, "create folder", dir));
      }
    }
    if (account_->fsync) {
      for (const std::string& c : created) {
        std::string parent = c.substr(0, c.find_last_of('/'));
        if (parent.empty()) parent = "/";
        HM_TRY(fs::sync_folder(AT_FDCWD, parent, parent));
      }
    }
  }
  // The special-use folders, once per account: a look, usually (a session
  // opens the account at each login); the lock only the first time.
  struct stat done {};
  if (::fstatat(AT_FDCWD, (root + "/" + kSpecialUseName).c_str(), &done, AT_SYMLINK_NOFOLLOW) ==
      0) {
    return ok();
  }
  return change_account_files(*account_, [&](AccountFiles& files) -> Status {
    if (files.special_use.exists) return ok();
    for (const DefaultFolder& d : kDefaultFolders) {
      Status made = create_folder(account_->root, {d.name}, change_of(*account_));
      if (!made && made.error().kind() != ErrorKind::kExists) return made;
      files.special_use.by_folder[folder_dir_name({d.name})] = {d.attribute};
      if (std::find(files.subscriptions.begin(), files.subscriptions.end(), d.name) ==
          files.subscriptions.end()) {
        files.subscriptions.emplace_back(d.name);
      }
    }
    if (std::find(files.subscriptions.begin(), files.subscriptions.end(), "INBOX") ==
        files.subscriptions.end()) {
      files.subscriptions.insert(files.subscriptions.begin(), "INBOX");
    }
    files.special_use.exists = true;
    return ok();
  });
}

Result<std::string> MaildirMailboxes::path_of(const FolderName& name) const {
  return folder_path(account_->root, name);
}

Result<std::vector<FolderInfo>> MaildirMailboxes::list() {
  AsOwner as(*account_);
  auto folders = list_folders(account_->root);
  if (!folders) return fail(folders.error());
  auto special = read_special_use(*account_);
  if (!special) return fail(special.error());
  auto subscribed = read_subscriptions(*account_);
  if (!subscribed) return fail(subscribed.error());
  std::vector<FolderInfo> out;
  out.reserve(folders->size());
  for (FolderName& name : *folders) {
    FolderInfo info;
    if (auto it = special->by_folder.find(folder_dir_name(name)); it != special->by_folder.end()) {
      info.special_use = it->second;
    }
    info.subscribed = std::find(subscribed->begin(), subscribed->end(), subscription_name(name)) !=
                      subscribed->end();
    info.name = std::move(name);
    out.push_back(std::move(info));
  }
  return out;
}

Status MaildirMailboxes::create(const FolderName& name,
                                const std::vector<std::string>& special_use) {
  AsOwner as(*account_);
  HM_TRY(check_folder_name(name));
  if (name.empty()) return fail(ErrorKind::kExists, "the INBOX always exists");
  HM_TRY(check_special_use(special_use));
  HM_TRY(create_folder(account_->root, name, change_of(*account_)));
  if (special_use.empty()) return ok();
  return change_account_files(*account_, [&](AccountFiles& files) -> Status {
    files.special_use.exists = true;
    files.special_use.by_folder[folder_dir_name(name)] = special_use;
    return ok();
  });
}

Status MaildirMailboxes::remove(const FolderName& name) {
  AsOwner as(*account_);
  HM_TRY(delete_folder(account_->root, name, change_of(*account_)));
  if (account_->quota_bytes > 0) {
    // Its messages no longer count: Maildir++ recounts when maildirsize is
    // missing, which is cheaper here than adding up the folder first.
    (void)fs::file_system().unlink(AT_FDCWD, (account_->root + "maildirsize").c_str());
  }
  Status s = change_account_files(*account_, [&](AccountFiles& files) -> Status {
    files.special_use.by_folder.erase(folder_dir_name(name));
    return ok();
  });
  if (!s)
    log::warning("the special-use attributes of a deleted folder stay: {}", s.error().describe());
  return ok();
}

Status MaildirMailboxes::rename(const FolderName& from, const FolderName& to) {
  AsOwner as(*account_);
  HM_TRY(check_folder_name(from));
  HM_TRY(check_folder_name(to));
  if (to.empty()) return fail(ErrorKind::kExists, "the INBOX always exists");
  if (from.empty()) {
    // RFC 3501: the INBOX's messages move to the new folder; the INBOX
    // stays, empty. Each message is in one folder or the other throughout.
    HM_TRY(create_folder(account_->root, to, change_of(*account_)));
    auto inbox = open({}, false);
    if (!inbox) return fail(inbox.error());
    std::vector<uint32_t> uids;
    for (const MessageMeta& m : (*inbox)->messages()) uids.push_back(m.uid);
    if (uids.empty()) return ok();
    auto moved = move(**inbox, uids, to);
    if (!moved) return fail(moved.error());
    return ok();
  }
  HM_TRY(rename_folder(account_->root, from, to, change_of(*account_)));
  // The attributes and subscriptions follow the folders.
  Status s = change_account_files(*account_, [&](AccountFiles& files) -> Status {
    std::map<std::string, std::vector<std::string>> renamed;
    for (auto& [dir, attrs] : files.special_use.by_folder) {
      const std::string old_dir = folder_dir_name(from);
      if (dir == old_dir || dir.rfind(old_dir + ".", 0) == 0) {
        renamed[folder_dir_name(to) + dir.substr(old_dir.size())] = std::move(attrs);
      } else {
        renamed[dir] = std::move(attrs);
      }
    }
    files.special_use.by_folder = std::move(renamed);
    const std::string old_name = subscription_name(from);
    for (std::string& sub : files.subscriptions) {
      if (sub == old_name || sub.rfind(old_name + ".", 0) == 0) {
        sub = subscription_name(to) + sub.substr(old_name.size());
      }
    }
    return ok();
  });
  if (!s) log::warning("attributes of a renamed folder not moved: {}", s.error().describe());
  return ok();
}

Status MaildirMailboxes::subscribe(const FolderName& name, bool subscribed) {
  AsOwner as(*account_);
  HM_TRY(check_folder_name(name));
  const std::string n = subscription_name(name);
  return change_account_files(*account_, [&](AccountFiles& files) -> Status {
    auto it = std::find(files.subscriptions.begin(), files.subscriptions.end(), n);
    if (subscribed && it == files.subscriptions.end()) files.subscriptions.push_back(n);
    if (!subscribed && it != files.subscriptions.end()) files.subscriptions.erase(it);
    return ok();
  });
}

Result<std::unique_ptr<Mailbox>> MaildirMailboxes::open(const FolderName& name, bool read_only) {
  AsOwner as(*account_);
  auto path = path_of(name);
  if (!path) return fail(path.error());
  auto box = MaildirMailbox::open(account_, *path, read_only);
  if (!box) return fail(box.error());
  return std::unique_ptr<Mailbox>(std::move(*box));
}

namespace {

// The folder's UID list, when it can be trusted to be up to date without
// listing cur/ and new/: it records the mtimes they still have, and those
// are old enough (list_is_settled, as MaildirFolder's open trusts it).
// nullopt: look at the folder itself.
std::optional<UidList> settled_list(const std::string& path) {
  std::string shown = path;
  while (shown.size() > 1 && shown.back() == '/') shown.pop_back();
  auto root = open_folder_nofollow(AT_FDCWD, shown, shown);
  if (!root) return std::nullopt;
  struct stat new_st {
  }, cur_st{};
  if (::fstatat(root->get(), "new", &new_st, AT_SYMLINK_NOFOLLOW) != 0 ||
      ::fstatat(root->get(), "cur", &cur_st, AT_SYMLINK_NOFOLLOW) != 0 ||
      !S_ISDIR(new_st.st_mode) || !S_ISDIR(cur_st.st_mode)) {
    return std::nullopt;
  }
  // Replaced atomically by its writers: read without the lock.
  auto list = read_uid_list(root->get(), shown);
  if (!list || !*list) return std::nullopt;
  if (!list_is_settled(**list, new_st.st_mtim, cur_st.st_mtim, ::time(nullptr))) {
    return std::nullopt;
  }
  return std::move(**list);
}

}  // namespace

Result<MailboxStatus> MaildirMailboxes::status(const FolderName& name) {
  AsOwner as(*account_);
  auto path = path_of(name);
  if (!path) return fail(path.error());
  MailboxStatus s;
  auto count = [&](std::string_view flags, std::string_view base) {
    ++s.messages;
    if (flags.find('S') == std::string_view::npos) ++s.unseen;
    auto wire = wire_size_in_name(base);
    s.size += wire ? *wire : size_in_name(base).value_or(0);
  };
  // Cheap when the folder has settled: its list, three stat()s, no lock.
  if (auto list = settled_list(*path)) {
    s.uid_validity = list->uid_validity;
    s.uid_next = static_cast<uint32_t>(std::min<uint64_t>(list->uid_next, kMaxUid));
    s.highest_modseq = list->highest_modseq;
    for (const UidEntry& e : list->entries) count(e.flags, e.base);
    return s;
  }
  // Otherwise the list brought up to date (a listing of cur/ and new/, no
  // message read).
  FolderOptions o;
  o.fsync = account_->fsync;
  o.lock_timeout = account_->lock_timeout;
  auto folder = MaildirFolder::open(*path, o);
  if (!folder) return fail(folder.error());
  s.uid_validity = (*folder)->uid_validity();
  s.uid_next = static_cast<uint32_t>(std::min<uint64_t>((*folder)->uid_next(), kMaxUid));
  s.highest_modseq = (*folder)->highest_modseq();
  for (const MessageInfo& m : (*folder)->messages()) count(m.flags, m.base);
  return s;
}

Status MaildirMailboxes::check_quota(uint64_t bytes) {
  if (account_->quota_bytes == 0) return ok();
  auto usage = quota_usage(account_->root, account_->quota_bytes, account_->uid, account_->gid);
  if (!usage) return fail(usage.error());
  const auto used = static_cast<uint64_t>(std::max<int64_t>(usage->bytes, 0));
  if (used + bytes > account_->quota_bytes) {
    return fail(
        ErrorKind::kOverQuota, "the mailbox is over its quota",
        fmt::format("{} bytes used of {}, {} more asked", used, account_->quota_bytes, bytes));
  }
  return ok();
}

void MaildirMailboxes::record_quota(int64_t bytes, int64_t messages) {
  if (account_->quota_bytes == 0 || messages == 0) return;
  Status s = record_quota_change(account_->root, bytes, messages, account_->quota_bytes,
                                 account_->uid, account_->gid);
  if (!s) log::warning("quota not updated: {}", s.error().describe());
}

Result<CopyResult> MaildirMailboxes::append(const FolderName& to,
                                            std::vector<AppendMessage> messages) {
  AsOwner as(*account_);
  auto path = path_of(to);
  if (!path) return fail(path.error());
  std::vector<NewMessage> add;
  add.reserve(messages.size());
  uint64_t bytes = 0;
  for (AppendMessage& m : messages) {
    if (m.flags & ~(kFlagSeen | kFlagAnswered | kFlagFlagged | kFlagDeleted | kFlagDraft)) {
      return fail(ErrorKind::kInvalid, "unknown flag bits");
    }
    for (const std::string& k : m.keywords) HM_TRY(check_keyword(k));
    NewMessage n;
    const size_t lines = append_with_lf(m.text, n.text);
    std::string().swap(m.text);  // one copy at a time
    n.size = n.text.size();
    n.wire_size = n.size + lines;
    n.flags = m.flags;
    n.keywords = std::move(m.keywords);
    n.internal_date = m.internal_date.value_or(0);
    bytes += n.size;
    add.push_back(std::move(n));
  }
  HM_TRY(check_quota(bytes));
  FolderOptions o;
  o.fsync = account_->fsync;
  o.lock_timeout = account_->lock_timeout;
  auto folder = MaildirFolder::open(*path, o);
  if (!folder) return fail(folder.error());
  auto uids = add_messages(**folder, add, *account_);
  if (!uids) return fail(uids.error());
  record_quota(static_cast<int64_t>(bytes), static_cast<int64_t>(add.size()));
  CopyResult out;
  out.uid_validity = (*folder)->uid_validity();
  for (const auto& uid : *uids) {
    if (uid) out.target.push_back(*uid);
  }
  return out;
}

Result<CopyResult> MaildirMailboxes::copy_from(MaildirMailbox& from,
                                               const std::vector<uint32_t>& uids,
                                               const FolderName& to, bool check_quota_first) {
  auto path = path_of(to);
  if (!path) return fail(path.error());
  std::vector<uint32_t> wanted = uids;
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::vector<NewMessage> add;
  std::vector<uint32_t> source;
  uint64_t bytes = 0;
  for (uint32_t uid : wanted) {
    auto at = from.find(uid);
    if (!at) continue;
    const MessageMeta& meta = from.messages()[*at];
    auto where = from.folder().locate(uid);
    if (!where) continue;  // the folder lost it meanwhile: expunged
    auto size = from.stored_size(uid);
    if (!size) continue;
    const MessageInfo* info = from.folder().find(uid);
    NewMessage n;
    n.source = std::move(*where);
    n.source_base = info ? info->base : std::string();
    n.flags = meta.flags;
    for (size_t i = 0; i < from.keywords().size(); ++i) {
      if ((meta.keywords & (KeywordMask{1} << i)) && !from.keywords()[i].empty()) {
        n.keywords.push_back(from.keywords()[i]);
      }
    }
    n.internal_date = meta.internal_date;
    n.size = *size;
    n.wire_size = meta.size;
    bytes += n.size;
    add.push_back(std::move(n));
    source.push_back(uid);
  }
  if (check_quota_first) HM_TRY(check_quota(bytes));
  FolderOptions o;
  o.fsync = account_->fsync;
  o.lock_timeout = account_->lock_timeout;
  auto folder = MaildirFolder::open(*path, o);
  if (!folder) return fail(folder.error());
  auto added = add_messages(**folder, add, *account_);
  if (!added) return fail(added.error());
  CopyResult out;
  out.uid_validity = (*folder)->uid_validity();
  int64_t copied_bytes = 0;
  for (size_t i = 0; i < added->size(); ++i) {
    if (!(*added)[i]) continue;  // expunged meanwhile
    out.source.push_back(source[i]);
    out.target.push_back(*(*added)[i]);
    copied_bytes += static_cast<int64_t>(add[i].size);
  }
  // Recorded for a MOVE too: its removal records the other half.
  record_quota(copied_bytes, static_cast<int64_t>(out.target.size()));
  return out;
}

Result<CopyResult> MaildirMailboxes::copy(Mailbox& from, const std::vector<uint32_t>& uids,
                                          const FolderName& to) {
  AsOwner as(*account_);
  auto* maildir = dynamic_cast<MaildirMailbox*>(&from);
  if (!maildir || maildir->account().root != account_->root) {
    return fail(ErrorKind::kInvalid, "the source mailbox is not of this account");
  }
  return copy_from(*maildir, uids, to, true);
}

Result<CopyResult> MaildirMailboxes::move(Mailbox& from, const std::vector<uint32_t>& uids,
                                          const FolderName& to) {
  AsOwner as(*account_);
  auto* maildir = dynamic_cast<MaildirMailbox*>(&from);
  if (!maildir || maildir->account().root != account_->root) {
    return fail(ErrorKind::kInvalid, "the source mailbox is not of this account");
  }
  if (maildir->read_only()) return fail(ErrorKind::kInvalid, "the mailbox is open read-only");
  // Copied first, removed after: a crash in between leaves the message in
  // both folders, never in neither. The account's usage does not change.
  auto copied = copy_from(*maildir, uids, to, false);
  if (!copied) return copied;
  auto removed = maildir->remove(copied->source);
  if (!removed) return fail(removed.error());
  return copied;
}

Result<QuotaStatus> MaildirMailboxes::quota() {
  AsOwner as(*account_);
  auto usage = quota_usage(account_->root, account_->quota_bytes, account_->uid, account_->gid);
  if (!usage) return fail(usage.error());
  QuotaStatus q;
  q.limit_bytes = account_->quota_bytes;
  q.used_bytes = static_cast<uint64_t>(std::max<int64_t>(usage->bytes, 0));
  q.used_messages = static_cast<uint64_t>(std::max<int64_t>(usage->messages, 0));
  return q;
}

}  // namespace hm::store::maildir
