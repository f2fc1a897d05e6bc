#include "mime/envelope.h"

#include "mime/address.h"
#include "mime/header.h"
#include "mime/imap_string.h"

namespace hm::mime {
namespace {

// An address list, or NIL when the field is absent or has no address.
void append_addresses(std::string& out, const std::optional<std::string>& value) {
  std::vector<Address> list;
  if (value) list = parse_address_list(*value);
  if (list.empty()) {
    out += "NIL";
    return;
  }
  out.push_back('(');
  for (const auto& a : list) {
    out.push_back('(');
    switch (a.kind) {
      case Address::Kind::kGroupStart:
        out += "NIL NIL ";
        append_imap_string(out, a.name);
        out += " NIL";
        break;
      case Address::Kind::kGroupEnd: out += "NIL NIL NIL NIL"; break;
      case Address::Kind::kMailbox:
        append_imap_nstring(out, a.name);
        out.push_back(' ');
        append_imap_nstring(out, a.route);
        out.push_back(' ');
        append_imap_string(out, a.mailbox);
        out.push_back(' ');
        append_imap_string(out, a.host);
        break;
    }
    out.push_back(')');
  }
  out.push_back(')');
}

bool has_address(const std::optional<std::string>& value) {
  return value && !parse_address_list(*value).empty();
}

}  // namespace

void append_envelope(std::string& out, std::string_view header_block) {
  const Header h(header_block);
  const auto nstring = [&](std::string_view name) {
    auto v = h.value(name);
    append_imap_nstring(out, v ? std::string_view(*v) : std::string_view());
  };
  out.push_back('(');
  nstring("Date");
  out.push_back(' ');
  nstring("Subject");
  const auto from = h.value("From");
  out.push_back(' ');
  append_addresses(out, from);
  for (const char* name : {"Sender", "Reply-To"}) {
    out.push_back(' ');
    auto v = h.value(name);
    append_addresses(out, has_address(v) ? v : from);
  }
  for (const char* name : {"To", "Cc", "Bcc"}) {
    out.push_back(' ');
    append_addresses(out, h.value(name));
  }
  out.push_back(' ');
  nstring("In-Reply-To");
  out.push_back(' ');
  nstring("Message-ID");
  out.push_back(')');
}

std::string envelope(std::string_view header) {
  std::string out;
  append_envelope(out, header);
  return out;
}

}  // namespace hm::mime
