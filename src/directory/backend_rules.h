#pragma once
// Input checks and error messages that every Directory backend applies the
// same way, so that the contract tests can hold SQLite, LDAP and the
// in-memory backend to identical errors. Policy (normalization, who may do
// what) lives above the backends; these only guard their own storage.

#include <string_view>

#include "base/result.h"
#include "directory/model.h"
#include "mail/address_syntax.h"

namespace hm::directory::rules {

// The part after the last '@' ("" if none); "@example.org" gives "example.org"
// (mail/address_syntax.h).
using mail::domain_of;

Status check_domain_name(std::string_view name);
Status check_account_address(std::string_view address);
Status check_alias(const Alias& alias);

// The mailbox path without trailing slashes: "d/u/" and "d/u" are one folder.
std::string_view mailbox_key(std::string_view mailbox);

Error not_hosted(std::string_view domain);
// `mailbox` is already the Maildir of account `holder`: two accounts with one
// Maildir would read each other's mail.
Error mailbox_taken(std::string_view mailbox, std::string_view holder);
Error account_is_alias(std::string_view address);
Error alias_is_account(std::string_view address);

}  // namespace hm::directory::rules
