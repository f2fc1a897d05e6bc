#pragma once
// The production AccountOpener, shared by IMAP and POP3: a virtual
// account's mailbox path and quota from the directory, its Maildir through
// the MailStore. Shell accounts ([local]) and the superuser are refused for
// now: their sessions must run under their own uid, in a process of their
// own, which a later increment adds.
//
// Thread-safe if the directory and the store are (they are); blocking.

#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "directory/directory.h"
#include "directory/principal.h"
#include "store/mail_store.h"
#include "store/mailbox.h"

namespace hm::mail_access {

// Opens the mail of a logged-in principal (on a worker thread): production
// looks the account up for its mailbox and quota and opens its Maildir
// through the MailStore; tests give an in-memory store. Refusals are
// kTemporary or kPermission with a text for the client.
using AccountOpener =
    std::function<Result<std::unique_ptr<store::Mailboxes>>(const directory::Principal&)>;

// `directory` and `store` must outlive the opener. `protocol` ("IMAP",
// "POP3") names the protocol in the refusals' texts and the log.
AccountOpener make_account_opener(directory::Directory& directory, store::MailStore& store,
                                  std::string protocol);

}  // namespace hm::mail_access
