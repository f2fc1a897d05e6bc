#pragma once
// What the submission role (RFC 6409) decides about a logged-in user's
// message, without I/O: which addresses are the user's to send as, and
// which header fields a message lacks. The session does the lookups and the
// rewriting; these are the rules, so that they are tested alone.

#include <string>
#include <string_view>
#include <vector>

#include "directory/principal.h"
#include "directory/resolver.h"

namespace hm::smtp {

struct SubmissionPolicy {
  // The envelope sender and every From: address must be the user's (553
  // 5.7.1 otherwise); off: a logged-in user may send as anyone.
  bool sender_check = true;
  // A domain's postmaster may send as any address of that domain.
  bool postmaster_sends_as_domain = false;
  // Received: of a logged-in user's message leaves out the client's name
  // and address.
  bool hide_client_ip = false;
};

// Whether the user may send as the address that `resolution` resolved: the
// account's own address, an alias that delivers to it (virtual account, or
// shell account for local principals), or, with postmaster_sends_as_domain,
// any address of a hosted domain whose postmaster the user is. The
// superuser owns no address.
bool sender_belongs(const directory::Principal& user, const directory::Resolution& resolution,
                    const SubmissionPolicy& policy);

// Whether the user, as postmaster of the address's domain, may send as it
// without a lookup (postmaster_sends_as_domain): any address of that
// domain, one that no account or alias has included.
bool postmaster_may_send_as(const directory::Principal& user, std::string_view address,
                            const SubmissionPolicy& policy);

// What a submitted message's header says about what must be added or
// checked. `header` is the client's header block (mime/header.h), up to
// and including the empty line.
struct SubmittedHeader {
  bool has_message_id = false;
  bool has_date = false;
  // The addr-specs of every From: field ("local@domain"), groups left out;
  // one that cannot be read as an address comes out as it is written.
  std::vector<std::string> from;
};
SubmittedHeader read_submitted_header(std::string_view header);

// The fields to add (RFC 6409 8.2 and 8.3): "Message-ID: <id@hostname>"
// and "Date: ..." for those missing, each with CRLF; "" when none is.
std::string missing_fields(const SubmittedHeader& header, std::string_view id,
                           std::string_view hostname, std::string_view date);

}  // namespace hm::smtp
