#include "directory/ldif_tree.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "base/strings.h"
#include "directory/address.h"
#include "directory/snapshot.h"
#include "ldif/dn.h"
#include "ldif/ldif.h"

namespace hm::directory {
namespace {

using ldif::ChangeType;
using ldif::Modification;
using ldif::Record;

bool has_class(const Record& r, std::string_view cls) {
  for (const std::string& v : r.values("objectClass")) {
    if (iequals(trim(v), cls)) return true;
  }
  return false;
}

Error at(const Record& r, std::string message) {
  return Error(ErrorKind::kInvalid,
               "line " + std::to_string(r.line) + ": entry '" + r.dn + "': " + message);
}

// What became of one record: applied, or skipped for the reason given.
using Outcome = std::optional<std::string>;
constexpr std::nullopt_t kApplied = std::nullopt;

// A DN for a message: whole, unless it is long (a mangled file can make one
// line of everything).
std::string shown_dn(std::string_view dn) {
  constexpr size_t kMax = 80;
  if (dn.size() <= kMax) return std::string(dn);
  return std::string(dn.substr(0, kMax)) + "...";
}

std::string skipped(const Record& r, std::string_view why) {
  return "line " + std::to_string(r.line) + ": entry '" + shown_dn(r.dn) +
         "' skipped: " + std::string(why);
}

// "dn: a=b objectClass: top ...": lines that were meant to be separate but
// start with a space, which LDIF reads as continuing the line before (the
// seed article prints base.ldif indented like that).
std::optional<std::string> folded_field_in_dn(std::string_view dn) {
  for (size_t colon = dn.find(": "); colon != std::string_view::npos;
       colon = dn.find(": ", colon + 1)) {
    size_t start = colon;
    while (start > 0 && (std::isalnum(static_cast<unsigned char>(dn[start - 1])) ||
                         dn[start - 1] == '-' || dn[start - 1] == ';')) {
      --start;
    }
    if (start < colon) return std::string(dn.substr(start, colon - start + 1));
  }
  return std::nullopt;
}

const char* const kNotMailData =
    "hostmail keeps only mail data (domains o=<domain>, CourierMailAccount and "
    "CourierMailAlias entries, a domain's cn=postmaster role), so `ldif export` will not "
    "write it back";

// What a DN names in the tree.
struct DnFacts {
  std::string first_attr;   // "mail", "cn", "o", "dc"
  std::string first_value;  // its value
  std::string domain;       // value of the nearest o= that is a domain name
};

std::optional<std::string> as_domain(std::string_view value) {
  if (value.find('.') == std::string_view::npos) return std::nullopt;
  auto d = normalize_domain(value);
  if (!d) return std::nullopt;
  return *d;
}

Result<DnFacts> dn_facts(const Record& r) {
  auto rdns = ldif::parse_dn(r.dn);
  if (!rdns) return fail(at(r, rdns.error().message()));
  if (rdns->empty()) return fail(at(r, "empty DN"));
  DnFacts f;
  f.first_attr = ascii_lower((*rdns)[0].attribute);
  f.first_value = (*rdns)[0].value;
  for (const ldif::Rdn& rdn : *rdns) {
    if (ascii_lower(rdn.attribute) != "o") continue;
    if (auto d = as_domain(rdn.value)) {
      f.domain = *d;
      break;
    }
  }
  return f;
}

std::string single(const Record& r, std::string_view attr) {
  auto v = r.values(attr);
  return v.empty() ? std::string() : std::string(trim(v.front()));
}

Result<uint64_t> number(const Record& r, std::string_view attr, std::string_view text) {
  uint64_t n = 0;
  std::string_view t = trim(text);
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc() || p != t.data() + t.size()) {
    return fail(at(r, std::string(attr) + " '" + std::string(t) + "' is not a number"));
  }
  return n;
}

bool truthy(std::string_view v) {
  v = trim(v);
  return v == "1" || iequals(v, "true") || iequals(v, "yes");
}

// Address of the entry: its mail attribute, or, when the seed left it empty,
// what the DN says.
Result<std::string> entry_address(const Record& r, const DnFacts& f, bool alias) {
  std::string mail = single(r, "mail");
  if (mail.empty()) {
    if (f.first_attr == "mail") {
      mail = f.first_value;
    } else if (f.first_attr == "cn" && iequals(f.first_value, "postmaster") && !f.domain.empty()) {
      mail = "postmaster@" + f.domain;
    } else {
      return fail(at(r, "has no mail attribute and its DN names no address"));
    }
  }
  auto normalized = alias ? normalize_alias_address(mail) : normalize_address(mail);
  if (!normalized) return fail(at(r, normalized.error().message()));
  return *normalized;
}

template <typename T>
T* find_by_address(std::vector<T>& items, std::string_view address) {
  for (T& item : items) {
    if (item.address == address) return &item;
  }
  return nullptr;
}

PostmasterRole& role_of(Snapshot& tree, const std::string& domain) {
  for (PostmasterRole& r : tree.roles) {
    if (r.domain == domain) return r;
  }
  tree.roles.push_back({domain, {}});
  return tree.roles.back();
}

Result<std::string> occupant_address(const Record& r, std::string_view dn) {
  auto rdns = ldif::parse_dn(dn);
  if (!rdns || rdns->empty())
    return fail(at(r, "roleOccupant '" + std::string(dn) + "' is not a DN"));
  if (ascii_lower((*rdns)[0].attribute) != "mail") {
    return fail(at(r, "roleOccupant '" + std::string(dn) + "' does not name a mail account"));
  }
  auto a = normalize_address((*rdns)[0].value);
  if (!a) return fail(at(r, a.error().message()));
  return *a;
}

bool domain_known(const Snapshot& tree, std::string_view domain) {
  return std::any_of(tree.domains.begin(), tree.domains.end(),
                     [&](const Domain& d) { return d.name == domain; });
}

Status check_domain(const Record& r, const Snapshot& tree, std::string_view address) {
  std::string_view domain = domain_of(address);
  if (!domain_known(tree, domain)) {
    return fail(at(r, "domain " + std::string(domain) + " has no o=" + std::string(domain) +
                          " entry; import that first"));
  }
  return ok();
}

Status set_account_attribute(const Record& r, Account& a, std::string_view attr,
                             const std::vector<std::string>& values) {
  std::string name = ascii_lower(attr);
  std::string v = values.empty() ? std::string() : std::string(trim(values.front()));
  if (name == "userpassword") {
    a.password_hash = v;
  } else if (name == "cn") {
    // Export writes the local part as cn when there is no display name (the
    // structural class needs one); reading it back must not invent a name.
    a.name = v == local_part_of(a.address) ? std::string() : v;
  } else if (name == "homedirectory") {
    a.home_directory = v;
  } else if (name == "mailbox") {
    // The seed prints "domain1.example/user1"; a Maildir mailbox ends in '/'.
    if (!v.empty() && v.back() != '/') v += '/';
    a.mailbox = v;
  } else if (name == "uidnumber" || name == "gidnumber" || name == "quota") {
    uint64_t n = 0;
    if (!v.empty()) {
      auto parsed = number(r, attr, v);
      if (!parsed) return fail(std::move(parsed).error());
      n = *parsed;
    }
    if (name == "uidnumber") a.uid_number = static_cast<uint32_t>(n);
    if (name == "gidnumber") a.gid_number = static_cast<uint32_t>(n);
    if (name == "quota") a.quota_bytes = n;
  } else if (name == "disableimap") {
    a.disable_imap = truthy(v);
  } else if (name == "disablepop3") {
    a.disable_pop3 = truthy(v);
  }
  // Other attributes (sn, objectClass, ...) carry nothing hostmail keeps.
  return ok();
}

// An added entry that exists already replaces it, so that importing the same
// file twice, or an export over the directory it came from, changes nothing.
void replace_address(Snapshot& tree, const std::string& address) {
  std::erase_if(tree.accounts, [&](const Account& a) { return a.address == address; });
  std::erase_if(tree.aliases, [&](const Alias& a) { return a.address == address; });
}

// cn=retired-mailboxes: hostmail's list of the mailbox paths of deleted
// accounts (docs/ldap.md), one per description value; under a domain, or
// under the base for the accounts of deleted domains.
bool is_retired_list(const DnFacts& f) {
  return f.first_attr == "cn" && iequals(f.first_value, "retired-mailboxes");
}

void add_retired(Snapshot& tree, const std::vector<std::string>& values) {
  for (const std::string& value : values) {
    std::string path(trim(value));
    if (path.empty()) continue;
    if (path.back() != '/') path += '/';  // as a mailbox attribute is read
    tree.retired_mailboxes.push_back(std::move(path));
  }
}

const char* const kRetiredOnlyGrows =
    "the list of retired mailboxes only grows (a deleted account's mail must never reach a "
    "new account); an import never takes a path off it";

Result<Outcome> add_entry(const Record& r, Snapshot& tree) {
  if (auto field = folded_field_in_dn(r.dn)) {
    return Outcome(skipped(r, "its DN holds '" + *field +
                                  "': the lines after the dn: line start with a space, and a "
                                  "leading space makes a line continue the one before; remove "
                                  "the leading spaces"));
  }
  auto facts = dn_facts(r);
  if (!facts) return fail(std::move(facts).error());
  const bool account = has_class(r, "courierMailAccount");
  const bool alias = has_class(r, "courierMailAlias");
  const bool role = has_class(r, "organizationalRole") && facts->first_attr == "cn" &&
                    iequals(facts->first_value, "postmaster") && !facts->domain.empty();
  if (account && alias) return fail(at(r, "is both a mail account and a mail alias"));
  if (is_retired_list(*facts) && !account && !alias) {
    add_retired(tree, r.values("description"));
    return kApplied;
  }

  if (account) {
    auto address = entry_address(r, *facts, false);
    if (!address) return fail(std::move(address).error());
    HM_TRY(check_domain(r, tree, *address));
    replace_address(tree, *address);
    Account a;
    a.address = *address;
    for (std::string_view attr : {"userPassword", "cn", "homeDirectory", "mailbox", "uidNumber",
                                  "gidNumber", "quota", "disableimap", "disablepop3"}) {
      auto values = r.values(attr);
      if (!values.empty()) HM_TRY(set_account_attribute(r, a, attr, values));
    }
    if (a.mailbox.empty()) {
      a.mailbox =
          std::string(domain_of(*address)) + "/" + std::string(local_part_of(*address)) + "/";
    }
    tree.accounts.push_back(std::move(a));
  } else if (alias) {
    auto address = entry_address(r, *facts, true);
    if (!address) return fail(std::move(address).error());
    HM_TRY(check_domain(r, tree, *address));
    replace_address(tree, *address);
    Alias a;
    a.address = *address;
    for (const std::string& m : r.values("maildrop")) {
      auto drop = normalize_maildrop(m);
      if (!drop) return fail(at(r, drop.error().message()));
      if (std::find(a.maildrops.begin(), a.maildrops.end(), *drop) == a.maildrops.end()) {
        a.maildrops.push_back(*drop);
      }
    }
    if (a.maildrops.empty()) return fail(at(r, "alias " + *address + " has no maildrop"));
    tree.aliases.push_back(std::move(a));
  } else if (role) {
    // A postmaster role without the postmaster alias: only its occupants.
  } else if (has_class(r, "organization") && facts->first_attr == "o") {
    auto domain = as_domain(facts->first_value);
    // o=hosting and other organizations are the structure above the
    // domains, which export writes from its base.
    if (!domain) return kApplied;
    if (!domain_known(tree, *domain)) tree.domains.push_back({*domain});
    return kApplied;
  } else if (facts->first_attr == "dc") {
    return kApplied;  // the suffix (dc=myhosting,dc=example): structure, as o=hosting
  } else if (has_class(r, "organizationalRole")) {
    return Outcome(skipped(
        r, std::string("an organizationalRole other than a domain's cn=postmaster (the rootdn's "
                       "entry, say): ") +
               kNotMailData));
  } else {
    return Outcome(skipped(r, kNotMailData));
  }

  if (role) {
    role_of(tree, facts->domain).occupants.clear();  // the entry as written replaces the old
    for (const std::string& o : r.values("roleOccupant")) {
      auto occupant = occupant_address(r, o);
      if (!occupant) return fail(std::move(occupant).error());
      auto& occupants = role_of(tree, facts->domain).occupants;
      if (std::find(occupants.begin(), occupants.end(), *occupant) == occupants.end()) {
        occupants.push_back(*occupant);
      }
    }
  }
  return kApplied;
}

Result<Outcome> modify_entry(const Record& r, Snapshot& tree) {
  auto facts = dn_facts(r);
  if (!facts) return fail(std::move(facts).error());
  if (is_retired_list(*facts)) {
    bool removes = false;
    for (const Modification& m : r.modifications) {
      if (!iequals(m.attribute, "description")) continue;
      if (m.op == Modification::Op::kDelete) {
        removes = true;
      } else {
        add_retired(tree, m.values);  // "replace" adds too: nothing leaves the list
      }
    }
    if (removes) return Outcome(skipped(r, kRetiredOnlyGrows));
    return kApplied;
  }
  std::string address;
  if (facts->first_attr == "mail") {
    auto a = normalize_alias_address(facts->first_value);
    if (!a) return fail(at(r, a.error().message()));
    address = *a;
  } else if (facts->first_attr == "cn" && iequals(facts->first_value, "postmaster") &&
             !facts->domain.empty()) {
    address = "postmaster@" + facts->domain;
  } else {
    return Outcome(
        skipped(r, std::string("modifies an entry that is not mail data: ") + kNotMailData));
  }
  Account* account = find_by_address(tree.accounts, address);
  Alias* alias = find_by_address(tree.aliases, address);
  bool is_role = facts->first_attr == "cn";
  if (!account && !alias && !is_role) {
    return fail(at(r, "modifies " + address + ", which does not exist; import it first"));
  }

  for (const Modification& m : r.modifications) {
    std::string attr = ascii_lower(m.attribute);
    if (attr == "roleoccupant" && is_role) {
      auto& occupants = role_of(tree, facts->domain).occupants;
      if (m.op == Modification::Op::kReplace) occupants.clear();
      if (m.op == Modification::Op::kDelete && m.values.empty()) occupants.clear();
      for (const std::string& v : m.values) {
        auto occupant = occupant_address(r, v);
        if (!occupant) return fail(std::move(occupant).error());
        auto it = std::find(occupants.begin(), occupants.end(), *occupant);
        if (m.op == Modification::Op::kDelete) {
          if (it != occupants.end()) occupants.erase(it);
        } else if (it == occupants.end()) {
          occupants.push_back(*occupant);
        }
      }
    } else if (attr == "maildrop" && alias) {
      if (m.op == Modification::Op::kReplace) alias->maildrops.clear();
      if (m.op == Modification::Op::kDelete && m.values.empty()) alias->maildrops.clear();
      for (const std::string& v : m.values) {
        auto drop = normalize_maildrop(v);
        if (!drop) return fail(at(r, drop.error().message()));
        auto it = std::find(alias->maildrops.begin(), alias->maildrops.end(), *drop);
        if (m.op == Modification::Op::kDelete) {
          if (it != alias->maildrops.end()) alias->maildrops.erase(it);
        } else if (it == alias->maildrops.end()) {
          alias->maildrops.push_back(*drop);
        }
      }
      if (alias->maildrops.empty()) {
        return fail(
            at(r, "would leave alias " + address + " without a maildrop; delete it instead"));
      }
    } else if (account) {
      std::vector<std::string> values =
          m.op == Modification::Op::kDelete ? std::vector<std::string>{} : m.values;
      HM_TRY(set_account_attribute(r, *account, attr, values));
    }
  }
  return kApplied;
}

Result<Outcome> delete_entry(const Record& r, Snapshot& tree) {
  auto facts = dn_facts(r);
  if (!facts) return fail(std::move(facts).error());
  if (is_retired_list(*facts)) return Outcome(skipped(r, kRetiredOnlyGrows));
  if (facts->first_attr == "o") {
    auto domain = as_domain(facts->first_value);
    if (!domain) {
      return Outcome(skipped(r,
                             "deletes an organization that is not a domain; hostmail keeps "
                             "no such entry"));
    }
    if (!domain_known(tree, *domain)) {
      return Outcome(skipped(r, "deletes domain " + *domain + ", which does not exist"));
    }
    std::erase_if(tree.domains, [&](const Domain& d) { return d.name == *domain; });
    std::erase_if(tree.accounts, [&](const Account& a) { return domain_of(a.address) == *domain; });
    std::erase_if(tree.aliases, [&](const Alias& a) { return domain_of(a.address) == *domain; });
    std::erase_if(tree.roles, [&](const PostmasterRole& p) { return p.domain == *domain; });
    return kApplied;
  }
  std::string address;
  if (facts->first_attr == "mail") {
    auto a = normalize_alias_address(facts->first_value);
    if (!a) return fail(at(r, a.error().message()));
    address = *a;
  } else if (facts->first_attr == "cn" && iequals(facts->first_value, "postmaster") &&
             !facts->domain.empty()) {
    address = "postmaster@" + facts->domain;
    std::erase_if(tree.roles, [&](const PostmasterRole& p) { return p.domain == facts->domain; });
  } else {
    return Outcome(
        skipped(r, std::string("deletes an entry that is not mail data: ") + kNotMailData));
  }
  const size_t before = tree.accounts.size() + tree.aliases.size();
  std::erase_if(tree.accounts, [&](const Account& a) { return a.address == address; });
  std::erase_if(tree.aliases, [&](const Alias& a) { return a.address == address; });
  for (PostmasterRole& role : tree.roles) std::erase(role.occupants, address);
  if (tree.accounts.size() + tree.aliases.size() == before && facts->first_attr == "mail") {
    return Outcome(skipped(r, "deletes " + address + ", which does not exist"));
  }
  return kApplied;
}

}  // namespace

Status apply_ldif(std::string_view text, Snapshot& tree, LdifImportReport* report) {
  auto records = ldif::parse(text);
  if (!records) return fail(std::move(records).error());
  if (records->empty()) {
    return fail(ErrorKind::kInvalid, "no records in the file: nothing imported");
  }
  // Applied to a copy, so that a file that fails leaves `tree` as it was.
  Snapshot result = tree;
  LdifImportReport done;
  for (const Record& r : *records) {
    Result<Outcome> outcome = kApplied;
    switch (r.change) {
      case ChangeType::kAdd: outcome = add_entry(r, result); break;
      case ChangeType::kModify: outcome = modify_entry(r, result); break;
      case ChangeType::kDelete: outcome = delete_entry(r, result); break;
      case ChangeType::kModRdn:
        return fail(at(r, "renaming entries (modrdn) is not supported; delete and add instead"));
    }
    if (!outcome) return fail(std::move(outcome).error());
    if (outcome->has_value()) {
      done.warnings.push_back(std::move(**outcome));
    } else {
      ++done.applied;
    }
  }
  if (done.applied == 0) {
    // Nothing in the file was taken: most likely not the file meant, or
    // mangled on the way; saying "imported" would hide that.
    std::string why = done.warnings.size() == 1 ? "its only record was skipped: "
                                                : "all " + std::to_string(done.warnings.size()) +
                                                      " records were skipped: ";
    constexpr size_t kShown = 3;
    for (size_t i = 0; i < done.warnings.size() && i < kShown; ++i) {
      if (i > 0) why += "; ";
      why += done.warnings[i];
    }
    if (done.warnings.size() > kShown) {
      why += "; and " + std::to_string(done.warnings.size() - kShown) + " more";
    }
    return fail(ErrorKind::kInvalid, "nothing imported, " + why);
  }
  canonicalize(result);
  tree = std::move(result);
  if (report) *report = std::move(done);
  return ok();
}

Result<std::string> export_ldif(const Snapshot& input, std::string_view base,
                                std::string_view default_home) {
  auto base_rdns = ldif::parse_dn(base);
  if (!base_rdns || base_rdns->size() < 2 || ascii_lower((*base_rdns)[0].attribute) != "o") {
    return fail(ErrorKind::kInvalid, "export base '" + std::string(base) +
                                         "' must look like o=hosting,dc=example,dc=org");
  }
  Snapshot tree = input;
  canonicalize(tree);
  const std::string base_dn = ldif::format_dn(*base_rdns);
  std::vector<ldif::Rdn> suffix(base_rdns->begin() + 1, base_rdns->end());

  std::vector<Record> out;
  auto add = [&](std::string dn, std::vector<std::pair<std::string, std::string>> attrs) {
    Record r;
    r.dn = std::move(dn);
    for (auto& [k, v] : attrs) r.attributes.push_back({std::move(k), std::move(v)});
    out.push_back(std::move(r));
  };
  // The suffix and the hosting organization, so the file loads into an empty slapd.
  if (ascii_lower(suffix[0].attribute) == "dc") {
    add(ldif::format_dn(suffix), {{"objectClass", "top"},
                                  {"objectClass", "dcObject"},
                                  {"objectClass", "organization"},
                                  {"dc", suffix[0].value},
                                  {"o", suffix[0].value}});
  }
  add(base_dn,
      {{"objectClass", "top"}, {"objectClass", "organization"}, {"o", (*base_rdns)[0].value}});

  // The retired mailboxes, each written once: those starting with `prefix`
  // ("<domain>/"), or all that are left for an empty prefix.
  std::vector<bool> retired_written(tree.retired_mailboxes.size(), false);
  auto add_retired_list = [&](const std::string& dn, const std::string& prefix) {
    Record r;
    r.dn = dn;
    r.attributes = {
        {"objectClass", "top"}, {"objectClass", "organizationalRole"}, {"cn", "retired-mailboxes"}};
    for (size_t i = 0; i < tree.retired_mailboxes.size(); ++i) {
      if (retired_written[i] || !tree.retired_mailboxes[i].starts_with(prefix)) continue;
      r.attributes.push_back({"description", tree.retired_mailboxes[i]});
      retired_written[i] = true;
    }
    if (r.attributes.size() > 3) out.push_back(std::move(r));
  };

  auto domain_dn = [&](const std::string& domain) {
    return ldif::format_dn({{"o", domain}}) + "," + base_dn;
  };
  auto entry_dn = [&](const std::string& address) {
    std::string domain(domain_of(address));
    if (address == "postmaster@" + domain) return "cn=postmaster," + domain_dn(domain);
    return ldif::format_dn({{"mail", address}}) + "," + domain_dn(domain);
  };

  for (const Domain& d : tree.domains) {
    add(domain_dn(d.name),
        {{"objectClass", "top"}, {"objectClass", "organization"}, {"o", d.name}});
    const PostmasterRole* role = nullptr;
    for (const PostmasterRole& r : tree.roles) {
      if (r.domain == d.name) role = &r;
    }
    const Alias* postmaster = nullptr;
    for (const Alias& a : tree.aliases) {
      if (a.address == "postmaster@" + d.name) postmaster = &a;
    }
    if (postmaster || role) {
      Record r;
      r.dn = "cn=postmaster," + domain_dn(d.name);
      r.attributes = {{"objectClass", "top"}, {"objectClass", "organizationalRole"}};
      if (postmaster) r.attributes.push_back({"objectClass", "CourierMailAlias"});
      r.attributes.push_back({"cn", "postmaster"});
      if (postmaster) {
        r.attributes.push_back({"mail", postmaster->address});
        for (const std::string& m : postmaster->maildrops) r.attributes.push_back({"maildrop", m});
      }
      if (role) {
        for (const std::string& o : role->occupants) {
          r.attributes.push_back({"roleOccupant", entry_dn(o)});
        }
      }
      out.push_back(std::move(r));
    }
    for (const Alias& a : tree.aliases) {
      if (domain_of(a.address) != d.name || a.address == "postmaster@" + d.name) continue;
      Record r;
      r.dn = entry_dn(a.address);
      r.attributes = {{"objectClass", "top"},
                      {"objectClass", "nisMailAlias"},
                      {"objectClass", "CourierMailAlias"},
                      {"cn", a.address},
                      {"mail", a.address}};
      for (const std::string& m : a.maildrops) r.attributes.push_back({"maildrop", m});
      out.push_back(std::move(r));
    }
    for (const Account& a : tree.accounts) {
      if (domain_of(a.address) != d.name) continue;
      Record r;
      r.dn = entry_dn(a.address);
      std::string local(local_part_of(a.address));
      r.attributes = {{"objectClass", "top"},
                      {"objectClass", "inetOrgPerson"},
                      {"objectClass", "CourierMailAccount"},
                      {"cn", a.name.empty() ? local : a.name},
                      {"sn", local},
                      {"mail", a.address}};
      if (!a.password_hash.empty()) r.attributes.push_back({"userPassword", a.password_hash});
      r.attributes.push_back({"homeDirectory", a.home_directory.empty() ? std::string(default_home)
                                                                        : a.home_directory});
      r.attributes.push_back({"mailbox", a.mailbox});
      r.attributes.push_back({"uidNumber", std::to_string(a.uid_number)});
      r.attributes.push_back({"gidNumber", std::to_string(a.gid_number)});
      if (a.quota_bytes) r.attributes.push_back({"quota", std::to_string(a.quota_bytes)});
      if (a.disable_imap) r.attributes.push_back({"disableimap", "1"});
      if (a.disable_pop3) r.attributes.push_back({"disablepop3", "1"});
      out.push_back(std::move(r));
    }
    add_retired_list("cn=retired-mailboxes," + domain_dn(d.name), d.name + "/");
  }
  // Mailboxes of domains that are gone, and any path outside a hosted
  // domain's folder: the list under the base, where the LDAP backend keeps them.
  add_retired_list("cn=retired-mailboxes," + base_dn, "");
  return ldif::write(out);
}

}  // namespace hm::directory
