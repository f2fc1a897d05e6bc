#pragma once
// IMAP mailbox names <-> the store's folder names (store::FolderName), by
// the namespace the site chose ([imap] namespace):
//
//   dovecot (default): no prefix, separator '/': "Archive/2024" is
//                      {"Archive", "2024"}; "INBOX" is the INBOX.
//   courier:           prefix "INBOX.", separator '.': "INBOX.Archive.2024"
//                      is {"Archive", "2024"}; "INBOX" is the INBOX, and a
//                      name outside the prefix names nothing.
//
// Names arrive here as UTF-8 (the parser decoded modified UTF-7 and folded
// "INBOX" in any case). Every part is checked with the store's own rule
// (store/maildir/folder_names.h) before the store sees it, so that a
// refused name gets a text that says why; the store checks again. Pure
// functions; thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "store/mailbox.h"

namespace hm::imap {

enum class NamespaceStyle { kDovecot, kCourier };

// The longest mailbox name accepted, in UTF-8 octets.
inline constexpr size_t kMaxMailboxName = 255;

class MailboxNames {
 public:
  explicit MailboxNames(NamespaceStyle style = NamespaceStyle::kDovecot) : style_(style) {}

  NamespaceStyle style() const { return style_; }
  char separator() const { return style_ == NamespaceStyle::kCourier ? '.' : '/'; }
  // The personal namespace's prefix: "" or "INBOX.".
  std::string_view prefix() const { return style_ == NamespaceStyle::kCourier ? "INBOX." : ""; }

  // The folder a mailbox name stands for; kInvalid with a text for the
  // client (it says which rule the name breaks).
  Result<store::FolderName> to_folder(std::string_view name) const;
  // The mailbox name (UTF-8) of a folder; "INBOX" for {}.
  std::string to_name(const store::FolderName& folder) const;

 private:
  NamespaceStyle style_;
};

// Whether `name` is "INBOX" in any case (RFC 3501 5.1).
bool is_inbox(std::string_view name);

}  // namespace hm::imap
