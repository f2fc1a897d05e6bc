// store::Mailboxes over a MemoryAccount (memory_store.h): folders,
// append, copy, move and quota. Every call takes the account's mutex once,
// so each is atomic for the other sessions, as mailbox.h asks of a backend.

#include <algorithm>
#include <array>
#include <ctime>
#include <string_view>

#include <fmt/format.h>

#include "base/line_ends.h"
#include "base/strings.h"
#include "store/memory/memory_mailbox.h"
#include "store/memory/memory_state.h"
#include "store/memory/memory_store.h"

namespace hm::store::memory {

namespace {

struct SpecialFolder {
  std::string_view name;
  std::string_view use;
};
constexpr std::array<SpecialFolder, 5> kSpecialFolders = {{
    {"Sent", "\\Sent"},
    {"Drafts", "\\Drafts"},
    {"Trash", "\\Trash"},
    {"Junk", "\\Junk"},
    {"Archive", "\\Archive"},
}};

// RFC 6154's attributes, as CREATE-SPECIAL-USE may give them.
constexpr std::array<std::string_view, 7> kSpecialUses = {
    "\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash"};

Result<std::vector<std::string>> special_uses(const std::vector<std::string>& given) {
  std::vector<std::string> out;
  for (const std::string& use : given) {
    auto it = std::find_if(kSpecialUses.begin(), kSpecialUses.end(),
                           [&](std::string_view known) { return iequals(known, use); });
    if (it == kSpecialUses.end()) {
      return fail(ErrorKind::kInvalid, fmt::format("{} is not a special-use attribute", use));
    }
    if (std::find(out.begin(), out.end(), *it) == out.end()) out.emplace_back(*it);
  }
  return out;
}

bool below(const FolderName& name, const FolderName& top) {
  return name.size() > top.size() && std::equal(top.begin(), top.end(), name.begin());
}

FolderName renamed(const FolderName& name, const FolderName& from, const FolderName& to) {
  FolderName out = to;
  out.insert(out.end(), name.begin() + static_cast<std::ptrdiff_t>(from.size()), name.end());
  return out;
}

// The names of the keywords in `mask`.
std::vector<std::string> keyword_names(const MemFolder& folder, KeywordMask mask) {
  std::vector<std::string> out;
  for (size_t i = 0; i < folder.keywords.size(); ++i) {
    if ((mask & (KeywordMask{1} << i)) != 0) out.push_back(folder.keywords[i]);
  }
  return out;
}

class MemoryMailboxes final : public Mailboxes {
 public:
  explicit MemoryMailboxes(std::shared_ptr<MemoryAccount> account)
      : account_(std::move(account)), state_(account_->state()) {
    std::lock_guard lock(state_.mutex);
    if (state_.initialized) return;
    state_.initialized = true;
    for (const SpecialFolder& special : kSpecialFolders) {
      const FolderName name{std::string(special.name)};
      if (state_.folders.contains(name)) continue;
      auto folder = state_.new_folder();
      folder->special_use.emplace_back(special.use);
      state_.folders.emplace(name, std::move(folder));
      state_.subscribed.insert(name);
    }
  }

  Result<std::vector<FolderInfo>> list() override {
    std::lock_guard lock(state_.mutex);
    HM_TRY(state_.usable());
    std::vector<FolderInfo> out;
    for (const auto& [name, folder] : state_.folders) {
      if (name.empty()) continue;
      out.push_back(FolderInfo{name, folder->special_use, state_.subscribed.contains(name)});
    }
    return out;
  }

  Status create(const FolderName& name, const std::vector<std::string>& special_use) override {
    HM_TRY(check_name(name));
    if (name.empty()) return fail(ErrorKind::kInvalid, "the INBOX exists always");
    auto uses = special_uses(special_use);
    if (!uses) return fail(uses.error());
    std::lock_guard lock(state_.mutex);
    HM_TRY(state_.usable());
    if (state_.folders.contains(name)) {
      return fail(ErrorKind::kExists, fmt::format("the folder {} exists already", join(name, "/")));
    }
    auto folder = state_.new_folder();
    folder->special_use = std::move(*uses);
    state_.folders.emplace(name, std::move(folder));
    return ok();
  }

  Status remove(const FolderName& name) override {
    HM_TRY(check_name(name));
    if (name.empty()) return fail(ErrorKind::kInvalid, "the INBOX cannot be deleted");
    std::lock_guard lock(state_.mutex);
    HM_TRY(state_.usable());
    auto folder = state_.find(name);
    if (!folder) return fail(folder.error());
    MemFolder& f = **folder;
    for (const auto& [uid, mail] : f.messages) {
      state_.used_bytes -= mail.meta.size;
      state_.used_messages -= 1;
    }
    f.messages.clear();
    f.cache.clear();
    f.removed = true;
    state_.folders.erase(name);
    state_.subscribed.erase(name);
    return ok();
  }

  Status rename(const FolderName& from, const FolderName& to) override {
    HM_TRY(check_name(from));
    HM_TRY(check_name(to));
    if (to.empty()) return fail(ErrorKind::kInvalid, "the INBOX exists always");
    if (!from.empty() && below(to, from)) {
      return fail(ErrorKind::kInvalid, "a folder cannot be renamed into itself");
    }
    std::lock_guard lock(state_.mutex);
    HM_TRY(state_.usable());
    auto source = state_.find(from);
    if (!source) return fail(source.error());
    if (from.empty()) return rename_inbox(**source, to);

    // The folder and its subfolders, every new name checked and free
    // before the first is moved: all move or none.
    std::vector<FolderName> moving{from};
    for (const auto& [name, folder] : state_.folders) {
      if (below(name, from)) moving.push_back(name);
    }
    for (const FolderName& name : moving) {
      const FolderName target = renamed(name, from, to);
      HM_TRY(check_name(target));
      if (state_.folders.contains(target)) {
        return fail(ErrorKind::kExists,
                    fmt::format("the folder {} exists already", join(target, "/")));
      }
    }
    for (const FolderName& name : moving) {
      auto node = state_.folders.extract(name);
      node.key() = renamed(name, from, to);
      state_.folders.insert(std::move(node));
      if (state_.subscribed.erase(name) != 0) state_.subscribed.insert(renamed(name, from, to));
    }
    return ok();
  }

  Status subscribe(const FolderName& name, bool subscribed) override {
    HM_TRY(check_name(name));
    std::lock_guard lock(state_.mutex);
    HM_TRY(state_.usable());
    if (!subscribed) {
      state_.subscribed.erase(name);
      return ok();
    }
    auto folder = state_.find(name);
    if (!folder) return fail(folder.error());
    state_.subscribed.insert(name);
    return ok();
  }

  Result<std::unique_ptr<Mailbox>> open(const FolderName& name, bool read_only) override {
    std::unique_lock lock(state_.mutex);
    HM_TRY(state_.usable());
    auto folder = state_.find(name);
    if (!folder) return fail(folder.error());
    return std::unique_ptr<Mailbox>(
        std::make_unique<MemoryMailbox>(account_, std::move(*folder), read_only, lock));
  }

  Result<MailboxStatus> status(const FolderName& name) override {
    std::lock_guard lock(state_.mutex);
    HM_TRY(state_.usable());
    auto folder = state_.find(name);
    if (!folder) return fail(folder.error());
    return folder_status(**folder);
  }

  Result<CopyResult> append(const FolderName& to, std::vector<AppendMessage> messages) override {
    // The stored form is made before the lock is taken.
    std::vector<StoredMail> mails;
    mails.reserve(messages.size());
    uint64_t bytes = 0;
    const auto now = static_cast<int64_t>(std::time(nullptr));
    for (AppendMessage& m : messages) {
      HM_TRY(check_flags(m.flags));
      auto text = std::make_shared<std::string>();
      text->reserve(m.text.size());
      const size_t lines = append_with_lf(m.text, *text);
      StoredMail mail;
      mail.meta.flags = m.flags;
      mail.meta.internal_date = m.internal_date.value_or(now);
      mail.meta.size = text->size() + lines;
      mail.text = std::move(text);
      bytes += mail.meta.size;
      mails.push_back(std::move(mail));
    }
    std::lock_guard lock(state_.mutex);
    HM_TRY(state_.usable());
    auto folder = state_.find(to);
    if (!folder) return fail(folder.error());
    MemFolder& target = **folder;
    HM_TRY(state_.check_quota(bytes));
    HM_TRY(check_uid_space(target, mails.size()));
    for (size_t i = 0; i < mails.size(); ++i) {
      auto mask = keyword_mask(target, messages[i].keywords);
      if (!mask) return fail(mask.error());
      mails[i].meta.keywords = *mask;
    }
    CopyResult result;
    result.uid_validity = target.uid_validity;
    for (StoredMail& mail : mails) result.target.push_back(add_message(state_, target, mail));
    return result;
  }

  Result<CopyResult> copy(Mailbox& from, const std::vector<uint32_t>& uids,
                          const FolderName& to) override {
    return transfer(from, uids, to, false);
  }

  Result<CopyResult> move(Mailbox& from, const std::vector<uint32_t>& uids,
                          const FolderName& to) override {
    return transfer(from, uids, to, true);
  }

  Result<QuotaStatus> quota() override {
    std::lock_guard lock(state_.mutex);
    HM_TRY(state_.usable());
    return QuotaStatus{state_.quota_bytes, state_.used_bytes, state_.used_messages};
  }

 private:
  // RFC 3501: the INBOX's messages go to a new folder `to` (keeping
  // flags, keywords and dates), and the INBOX stays, empty.
  Status rename_inbox(MemFolder& inbox, const FolderName& to) {
    if (state_.folders.contains(to)) {
      return fail(ErrorKind::kExists, fmt::format("the folder {} exists already", join(to, "/")));
    }
    auto target = state_.new_folder();
    target->keywords = inbox.keywords;  // so the masks stay as they are
    std::vector<uint32_t> moved;
    for (const auto& [uid, mail] : inbox.messages) {
      add_message(state_, *target, mail);
      moved.push_back(uid);
    }
    remove_messages(state_, inbox, moved);
    state_.folders.emplace(to, std::move(target));
    return ok();
  }

  // COPY, or MOVE with `move`, under one lock: the messages are in one
  // folder or the other at every moment another session can look.
  Result<CopyResult> transfer(Mailbox& from, const std::vector<uint32_t>& uids,
                              const FolderName& to, bool move) {
    auto* source = dynamic_cast<MemoryMailbox*>(&from);
    if (source == nullptr || source->account() != account_.get()) {
      return fail(ErrorKind::kInvalid, "the mailbox is not one of this account's");
    }
    if (move && source->read_only()) {
      return fail(ErrorKind::kInvalid, "the mailbox is open read-only");
    }
    std::vector<uint32_t> wanted = uids;
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());

    std::lock_guard lock(state_.mutex);
    HM_TRY(state_.usable());
    MemFolder& src = *source->folder();
    if (src.removed) return fail(ErrorKind::kNotFound, "the folder was deleted");
    auto folder = state_.find(to);
    if (!folder) return fail(folder.error());
    MemFolder& target = **folder;

    CopyResult result;
    result.uid_validity = target.uid_validity;
    std::vector<StoredMail> mails;
    uint64_t bytes = 0;
    for (uint32_t uid : wanted) {
      if (!source->find(uid)) continue;  // not in the view: skipped
      auto it = src.messages.find(uid);
      if (it == src.messages.end()) continue;  // expunged meanwhile
      result.source.push_back(uid);
      mails.push_back(it->second);
      bytes += it->second.meta.size;
    }
    // A move leaves the account's usage as it was: not refused over quota,
    // so that a full mailbox can still be tidied (into the Trash).
    if (!move) HM_TRY(state_.check_quota(bytes));
    HM_TRY(check_uid_space(target, mails.size()));
    for (StoredMail& mail : mails) {
      auto mask = keyword_mask(target, keyword_names(src, mail.meta.keywords));
      if (!mask) return fail(mask.error());
      mail.meta.keywords = *mask;
    }
    // Moved within the same folder, the new copies are not in the view:
    // it has not caught up with them.
    const bool was_caught_up = source->caught_up() && &src != &target;
    for (StoredMail& mail : mails) result.target.push_back(add_message(state_, target, mail));
    if (move) {
      remove_messages(state_, src, result.source);
      source->drop(result.source, was_caught_up);
    }
    return result;
  }

  std::shared_ptr<MemoryAccount> account_;
  AccountState& state_;
};

}  // namespace

std::unique_ptr<Mailboxes> open(std::shared_ptr<MemoryAccount> account) {
  return std::make_unique<MemoryMailboxes>(std::move(account));
}

}  // namespace hm::store::memory
