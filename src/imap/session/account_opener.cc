#include "imap/session/account_opener.h"

namespace hm::imap {

AccountOpener make_account_opener(directory::Directory& directory, store::MailStore& store) {
  return [&directory,
          &store](const directory::Principal& who) -> Result<std::unique_ptr<store::Mailboxes>> {
    using Kind = directory::Principal::Kind;
    if (who.kind == Kind::kLocal) {
      return fail(ErrorKind::kPermission,
                  "IMAP for shell accounts is not available yet; use a virtual account",
                  "local account " + who.name + " logged in over IMAP");
    }
    if (who.kind == Kind::kSuperuser) {
      return fail(ErrorKind::kPermission, "The superuser has no mailbox",
                  "superuser logged in over IMAP");
    }
    auto account = directory.find_account(who.name);
    if (!account) return fail(std::move(account).error());
    if (!account->has_value()) {
      // Deleted between the login and now.
      return fail(ErrorKind::kTemporary, "The account is not available",
                  "account " + who.name + " vanished after its login");
    }
    const directory::Account& a = **account;
    auto location = store.virtual_location(a.address, a.mailbox);
    if (!location) {
      // A mailbox attribute that leads elsewhere: the administrator must
      // look; the client hears only that the mailbox is unavailable.
      Error e = std::move(location).error();
      return fail(ErrorKind::kPermission, "The mailbox is not available",
                  "mailbox of " + a.address + ": " + e.describe());
    }
    return store.open_mailboxes(*location, a.quota_bytes);
  };
}

}  // namespace hm::imap
