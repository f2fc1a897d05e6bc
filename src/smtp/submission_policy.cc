#include "smtp/submission_policy.h"

#include "base/strings.h"
#include "directory/address.h"
#include "mime/address.h"
#include "mime/header.h"

namespace hm::smtp {

bool sender_belongs(const directory::Principal& user, const directory::Resolution& resolution,
                    const SubmissionPolicy& policy) {
  using Kind = directory::Destination::Kind;
  switch (user.kind) {
    case directory::Principal::Kind::kSuperuser: return false;
    case directory::Principal::Kind::kVirtual:
      if (resolution.address == user.name) return true;
      if (!resolution.hosted) return false;
      if (postmaster_may_send_as(user, resolution.address, policy)) return true;
      for (const directory::Destination& d : resolution.destinations) {
        if (d.kind == Kind::kVirtual && d.address == user.name) return true;
      }
      return false;
    case directory::Principal::Kind::kLocal:
      if (!resolution.hosted) return false;
      for (const directory::Destination& d : resolution.destinations) {
        if (d.kind == Kind::kLocal && d.address == user.name) return true;
      }
      return false;
  }
  return false;
}

bool postmaster_may_send_as(const directory::Principal& user, std::string_view address,
                            const SubmissionPolicy& policy) {
  return policy.postmaster_sends_as_domain && user.kind == directory::Principal::Kind::kVirtual &&
         user.is_postmaster_of(ascii_lower(directory::domain_of(address)));
}

SubmittedHeader read_submitted_header(std::string_view header) {
  SubmittedHeader h;
  const mime::Header fields(header);
  for (const mime::HeaderField& f : fields.fields()) {
    if (iequals(f.name, "Message-ID")) h.has_message_id = true;
    if (iequals(f.name, "Date")) h.has_date = true;
    if (!iequals(f.name, "From")) continue;
    const std::string value = mime::unfold(f.raw_value);
    const size_t before = h.from.size();
    for (const mime::Address& a : mime::parse_address_list(value)) {
      if (a.kind != mime::Address::Kind::kMailbox) continue;
      h.from.push_back(a.mailbox + "@" + a.host);
    }
    // A From: that yields no mailbox at all still names somebody: kept as
    // written, it is checked (and refused) like any address not the user's.
    if (h.from.size() == before) h.from.push_back(std::string(trim(value)));
  }
  return h;
}

std::string missing_fields(const SubmittedHeader& header, std::string_view id,
                           std::string_view hostname, std::string_view date) {
  std::string added;
  if (!header.has_message_id) {
    added += "Message-ID: <" + std::string(id) + "@" + std::string(hostname) + ">\r\n";
  }
  if (!header.has_date) added += "Date: " + std::string(date) + "\r\n";
  return added;
}

}  // namespace hm::smtp
