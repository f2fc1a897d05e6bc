#pragma once
// Rules over a mailbox's view (store/mailbox.h) that every backend applies
// alike, kept in one place so that they cannot differ: what a FlagChange
// makes of a message's flags (STORE FLAGS, +FLAGS, -FLAGS), a message's
// position by UID, and a view's counts.
//
// Thread-safety: pure functions.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "store/mailbox.h"

namespace hm::store {

struct MessageFlags {
  uint8_t flags = 0;  // Flag bits
  KeywordMask keywords = 0;
  bool operator==(const MessageFlags&) const = default;
};

// `now` changed by `mode` with the change's flags and `keywords` (the mask
// of the change's keyword names in the message's mailbox).
inline MessageFlags apply_flag_change(FlagChange::Mode mode, uint8_t flags, KeywordMask keywords,
                                      MessageFlags now) {
  switch (mode) {
    case FlagChange::Mode::kReplace: return MessageFlags{flags, keywords};
    case FlagChange::Mode::kAdd:
      return MessageFlags{static_cast<uint8_t>(now.flags | flags), now.keywords | keywords};
    case FlagChange::Mode::kRemove:
      return MessageFlags{static_cast<uint8_t>(now.flags & ~flags), now.keywords & ~keywords};
  }
  return now;
}

// The position of `uid` in `view` (ascending UIDs), or nullopt.
inline std::optional<size_t> find_in_view(const std::vector<MessageMeta>& view, uint32_t uid) {
  auto it = std::lower_bound(view.begin(), view.end(), uid,
                             [](const MessageMeta& m, uint32_t u) { return m.uid < u; });
  if (it == view.end() || it->uid != uid) return std::nullopt;
  return static_cast<size_t>(it - view.begin());
}

// `s` with the counts of `view`: messages, recent, unseen and size.
inline MailboxStatus count_view(const std::vector<MessageMeta>& view, MailboxStatus s) {
  s.messages = static_cast<uint32_t>(view.size());
  s.recent = s.unseen = 0;
  s.size = 0;
  for (const MessageMeta& m : view) {
    if (m.recent) ++s.recent;
    if ((m.flags & kFlagSeen) == 0) ++s.unseen;
    s.size += m.size;
  }
  return s;
}

}  // namespace hm::store
