#pragma once
// RFC 5322 address lists (From, To, Cc, ...) as IMAP's ENVELOPE lists them:
// mailboxes with display name, obsolete source route, local part and domain,
// and group start/end markers. Never fails: what cannot be parsed degrades as
// Dovecot does (a missing domain becomes "MISSING_DOMAIN", a missing local
// part "MISSING_MAILBOX"), and a list of unbounded length is cut.
//
// Text is kept as written (encoded words are not decoded, RFC 3501 wants them
// so); quoted display names lose their quotes and backslashes; a comment
// stands in for a missing display name ("a@b (Ann)" has the name "Ann").
//
// Thread-safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

namespace hm::mime {

struct Address {
  enum class Kind { kMailbox, kGroupStart, kGroupEnd };
  Kind kind = Kind::kMailbox;
  std::string name;     // display name; for kGroupStart the group's name
  std::string route;    // obsolete source route "@a,@b", usually empty
  std::string mailbox;  // local part, unquoted as Dovecot sends it ("a b" for "\"a b\"@c")
  std::string host;     // domain
};

inline constexpr size_t kMaxAddresses = 1000;

// `unfolded` is the field's value (header.h unfold()).
std::vector<Address> parse_address_list(std::string_view unfolded,
                                        size_t max_addresses = kMaxAddresses);

}  // namespace hm::mime
