#pragma once
// The production AccountOpener (imap_service.h): a virtual account's
// mailbox path and quota from the directory, its Maildir through the
// MailStore. Shell accounts ([local]) and the superuser are refused for
// now: their sessions must run under their own uid, in a process of their
// own, which a later increment adds.
//
// Thread-safe if the directory and the store are (they are); blocking.

#include "directory/directory.h"
#include "imap/session/imap_service.h"
#include "store/mail_store.h"

namespace hm::imap {

// `directory` and `store` must outlive the opener.
AccountOpener make_account_opener(directory::Directory& directory, store::MailStore& store);

}  // namespace hm::imap
