#include "store/memory/memory_state.h"

#include <algorithm>
#include <ctime>
#include <limits>

#include <fmt/format.h>

#include "base/strings.h"
#include "store/maildir/folder_names.h"
#include "store/memory/memory_store.h"

namespace hm::store::memory {

namespace {

constexpr size_t kMaxKeywordBytes = 100;
constexpr uint32_t kLastUid = std::numeric_limits<uint32_t>::max() - 1;  // UIDNEXT must fit

// An IMAP atom (RFC 3501's ATOM-CHAR: no specials, controls, space or
// 8-bit byte) not starting with '\' (those are system flags).
bool keyword_name_ok(std::string_view name) {
  if (name.empty() || name.size() > kMaxKeywordBytes || name.front() == '\\') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && std::string_view("(){%*\"\\]").find(c) == std::string_view::npos;
  });
}

}  // namespace

MemoryAccount::MemoryAccount(uint64_t quota_bytes) : state_(std::make_unique<AccountState>()) {
  state_->quota_bytes = quota_bytes;
  state_->folders.emplace(FolderName{}, state_->new_folder());
}

MemoryAccount::~MemoryAccount() = default;

void MemoryAccount::set_quota(uint64_t quota_bytes) {
  std::lock_guard lock(state_->mutex);
  state_->quota_bytes = quota_bytes;
}

void MemoryAccount::set_unavailable(bool unavailable) {
  std::lock_guard lock(state_->mutex);
  state_->unavailable = unavailable;
}

std::shared_ptr<MemoryAccount> make_memory_account(uint64_t quota_bytes) {
  return std::make_shared<MemoryAccount>(quota_bytes);
}

std::shared_ptr<MemFolder> AccountState::new_folder() {
  // Distinct from every earlier folder's, so that a client never takes a
  // recreated folder's UIDs for the old one's.
  const auto now = static_cast<uint32_t>(std::time(nullptr));
  last_uid_validity = std::max(now, last_uid_validity + 1);
  auto folder = std::make_shared<MemFolder>();
  folder->uid_validity = last_uid_validity;
  return folder;
}

Result<std::shared_ptr<MemFolder>> AccountState::find(const FolderName& name) {
  HM_TRY(check_name(name));
  auto it = folders.find(name);
  if (it == folders.end()) {
    return fail(ErrorKind::kNotFound, fmt::format("there is no folder {}", join(name, "/")));
  }
  return it->second;
}

Status AccountState::usable() const {
  if (unavailable) return fail(ErrorKind::kTemporary, "the mail store is unavailable (test)");
  return ok();
}

Status AccountState::check_quota(uint64_t bytes) const {
  if (quota_bytes != 0 && used_bytes + bytes > quota_bytes) {
    return fail(ErrorKind::kOverQuota,
                fmt::format("the mailbox is full ({} of {} bytes used)", used_bytes, quota_bytes));
  }
  return ok();
}

Status check_name(const FolderName& name) { return maildir::check_folder_name(name); }

Status check_flags(uint8_t flags) {
  constexpr uint8_t kAll = kFlagSeen | kFlagAnswered | kFlagFlagged | kFlagDeleted | kFlagDraft;
  if ((flags & ~kAll) != 0) return fail(ErrorKind::kInvalid, "an unknown system flag");
  return ok();
}

Result<KeywordMask> keyword_mask(MemFolder& folder, const std::vector<std::string>& names) {
  KeywordMask mask = 0;
  std::vector<std::string> added;
  for (const std::string& name : names) {
    if (!keyword_name_ok(name)) {
      return fail(ErrorKind::kInvalid, fmt::format("the keyword \"{}\" cannot be kept", name));
    }
    auto same = [&](const std::string& k) { return iequals(k, name); };
    auto it = std::find_if(folder.keywords.begin(), folder.keywords.end(), same);
    size_t index = static_cast<size_t>(it - folder.keywords.begin());
    if (it == folder.keywords.end()) {
      auto new_it = std::find_if(added.begin(), added.end(), same);
      index = folder.keywords.size() + static_cast<size_t>(new_it - added.begin());
      if (new_it == added.end()) added.push_back(name);
      if (index >= kMaxKeywords) {
        return fail(ErrorKind::kLimit,
                    fmt::format("a folder keeps at most {} keywords", kMaxKeywords));
      }
    }
    mask |= KeywordMask{1} << index;
  }
  folder.keywords.insert(folder.keywords.end(), added.begin(), added.end());
  return mask;
}

uint32_t add_message(AccountState& account, MemFolder& folder, StoredMail mail) {
  const uint32_t uid = folder.uid_next++;
  mail.meta.uid = uid;
  mail.meta.modseq = ++folder.highest_modseq;
  mail.meta.recent = false;
  account.used_bytes += mail.meta.size;
  account.used_messages += 1;
  folder.messages.emplace(uid, std::move(mail));
  return uid;
}

void remove_messages(AccountState& account, MemFolder& folder, const std::vector<uint32_t>& uids) {
  if (uids.empty()) return;
  const uint64_t modseq = ++folder.highest_modseq;
  for (uint32_t uid : uids) {
    auto it = folder.messages.find(uid);
    if (it == folder.messages.end()) continue;
    account.used_bytes -= it->second.meta.size;
    account.used_messages -= 1;
    folder.messages.erase(it);
    folder.cache.erase(uid);
    folder.expunged.emplace_back(modseq, uid);
  }
  while (folder.expunged.size() > kExpungeRecord) {
    folder.expunge_floor = folder.expunged.front().first;
    folder.expunged.pop_front();
  }
}

Status check_uid_space(const MemFolder& folder, size_t count) {
  if (count > kLastUid || folder.uid_next - 1 > kLastUid - count) {
    return fail(ErrorKind::kLimit, "the folder has run out of UIDs");
  }
  return ok();
}

MailboxStatus folder_status(const MemFolder& folder) {
  MailboxStatus s;
  s.uid_validity = folder.uid_validity;
  s.uid_next = folder.uid_next;
  s.highest_modseq = folder.highest_modseq;
  s.messages = static_cast<uint32_t>(folder.messages.size());
  for (const auto& [uid, mail] : folder.messages) {
    if ((mail.meta.flags & kFlagSeen) == 0) ++s.unseen;
    s.size += mail.meta.size;
  }
  return s;
}

}  // namespace hm::store::memory
