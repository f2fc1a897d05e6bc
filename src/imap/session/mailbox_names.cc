#include "imap/session/mailbox_names.h"

#include "base/strings.h"

namespace hm::imap {
namespace {

// The store's rule for one part (store/maildir/folder_names.h), said in
// IMAP's words. Checked here as well as in the store so that the client
// learns which character is the trouble rather than "invalid name".
Status check_part(std::string_view part, char separator) {
  constexpr size_t kMaxPart = 200;  // store::maildir::kMaxFolderPartBytes
  if (part.empty()) {
    return fail(ErrorKind::kInvalid, std::string("Empty level in the mailbox name (two '") +
                                         separator + "' in a row, or one at an end)");
  }
  if (part.size() > kMaxPart) {
    return fail(ErrorKind::kInvalid, "A level of the mailbox name is longer than " +
                                         std::to_string(kMaxPart) + " octets");
  }
  if (part == "." || part == "..") {
    return fail(ErrorKind::kInvalid, "'.' and '..' are not mailbox names");
  }
  if (part.front() == '~') {
    return fail(ErrorKind::kInvalid, "A level of a mailbox name may not begin with '~'");
  }
  for (unsigned char c : part) {
    if (c < 0x20 || c == 0x7f) {
      return fail(ErrorKind::kInvalid, "Control characters are not allowed in mailbox names");
    }
    if (c == '/' || c == '.') {
      // The other separator: '.' separates levels on disk (Maildir++), '/'
      // would be a path.
      return fail(ErrorKind::kInvalid, std::string("Character not allowed in mailbox names: '") +
                                           static_cast<char>(c) +
                                           "' (the hierarchy separator is '" + separator + "')");
    }
  }
  return ok();
}

}  // namespace

bool is_inbox(std::string_view name) { return iequals(name, "INBOX"); }

Result<store::FolderName> MailboxNames::to_folder(std::string_view name) const {
  if (name.empty()) return fail(ErrorKind::kInvalid, "Empty mailbox name");
  if (name.size() > kMaxMailboxName) {
    return fail(ErrorKind::kInvalid,
                "Mailbox name longer than " + std::to_string(kMaxMailboxName) + " octets");
  }
  if (is_inbox(name)) return store::FolderName{};
  const char sep = separator();
  std::string_view rest = name;
  if (style_ == NamespaceStyle::kCourier) {
    // Every folder lies below "INBOX." ("inbox." too: INBOX is
    // case-insensitive, RFC 3501 5.1).
    if (rest.size() <= prefix().size() || !is_inbox(rest.substr(0, 5)) || rest[5] != '.') {
      return fail(ErrorKind::kInvalid,
                  "Mailbox names begin with \"INBOX.\" here (see NAMESPACE); no such mailbox");
    }
    rest.remove_prefix(prefix().size());
  }
  store::FolderName folder;
  for (;;) {
    const size_t at = rest.find(sep);
    std::string_view part = rest.substr(0, at);
    HM_TRY(check_part(part, sep));
    // "inbox/x" is below the INBOX whatever its case, as "INBOX" is.
    if (style_ == NamespaceStyle::kDovecot && folder.empty() && is_inbox(part)) part = "INBOX";
    folder.emplace_back(part);
    if (at == std::string_view::npos) break;
    rest.remove_prefix(at + 1);
  }
  constexpr size_t kMaxDepth = 16;  // store::maildir::kMaxFolderDepth
  if (folder.size() > kMaxDepth) {
    return fail(ErrorKind::kInvalid,
                "Mailbox names may have at most " + std::to_string(kMaxDepth) + " levels");
  }
  return folder;
}

std::string MailboxNames::to_name(const store::FolderName& folder) const {
  if (folder.empty()) return "INBOX";
  std::string name(prefix());
  for (size_t i = 0; i < folder.size(); ++i) {
    if (i > 0) name += separator();
    name += folder[i];
  }
  return name;
}

}  // namespace hm::imap
