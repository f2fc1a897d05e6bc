#include "render.h"

#include "escapes.h"

namespace hm::imap::proto {

namespace {

using test_support::escape;

std::string q(const std::string& s) { return "[" + escape(s) + "]"; }

std::string list(const std::vector<std::string>& items) {
  std::string out = "(";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? " " : "") + q(items[i]);
  return out + ")";
}

std::string set(const SequenceSet& s) { return format_sequence_set(s); }

std::string section(const Section& s) {
  std::string out;
  for (size_t i = 0; i < s.part.size(); ++i) out += (i ? "." : "") + std::to_string(s.part[i]);
  const char* text = "";
  switch (s.text) {
    case Section::Text::kNone: break;
    case Section::Text::kHeader: text = "HEADER"; break;
    case Section::Text::kHeaderFields: text = "HEADER.FIELDS"; break;
    case Section::Text::kHeaderFieldsNot: text = "HEADER.FIELDS.NOT"; break;
    case Section::Text::kText: text = "TEXT"; break;
    case Section::Text::kMime: text = "MIME"; break;
  }
  if (*text) out += (out.empty() ? "" : ".") + std::string(text);
  if (!s.fields.empty()) out += " " + list(s.fields);
  return out;
}

struct Visitor {
  std::string operator()(const std::monostate&) const { return ""; }
  std::string operator()(const LoginArgs& a) const {
    return " user=" + q(a.user) + " password=" + q(a.password);
  }
  std::string operator()(const AuthenticateArgs& a) const {
    return " mech=" + a.mechanism + (a.initial_response ? " ir=" + q(*a.initial_response) : "");
  }
  std::string operator()(const MailboxArgs& a) const {
    std::string out = " mailbox=" + q(a.mailbox);
    if (a.condstore) out += " CONDSTORE";
    if (!a.special_use.empty()) out += " use=" + list(a.special_use);
    if (a.qresync) {
      out += " QRESYNC uidvalidity=" + std::to_string(a.qresync->uidvalidity) +
             " modseq=" + std::to_string(a.qresync->modseq);
      if (a.qresync->known_uids) out += " known=" + set(*a.qresync->known_uids);
      if (a.qresync->seq_match) {
        out += " match=(" + set(a.qresync->seq_match->first) + " " +
               set(a.qresync->seq_match->second) + ")";
      }
    }
    return out;
  }
  std::string operator()(const RenameArgs& a) const {
    return " from=" + q(a.from) + " to=" + q(a.to);
  }
  std::string operator()(const ListArgs& a) const {
    std::string out;
    if (!a.selection.empty()) out += " select=" + list(a.selection);
    out += " ref=" + q(a.reference) + " patterns=" + list(a.patterns);
    if (!a.return_options.empty()) out += " return=" + list(a.return_options);
    if (!a.status_items.empty()) out += " status=" + list(a.status_items);
    return out;
  }
  std::string operator()(const StatusArgs& a) const {
    return " mailbox=" + q(a.mailbox) + " items=" + list(a.items);
  }
  std::string operator()(const AppendArgs& a) const {
    std::string out = " mailbox=" + q(a.mailbox);
    for (const auto& m : a.messages) {
      out += " {flags=" + list(m.flags);
      if (m.internal_date) out += " date=" + std::to_string(*m.internal_date);
      if (m.binary) out += " binary";
      out += " message=" + q(m.message) + "}";
    }
    return out;
  }
  std::string operator()(const FetchArgs& a) const {
    std::string out = " set=" + set(a.set) + " atts=(";
    for (size_t i = 0; i < a.atts.size(); ++i) out += (i ? " " : "") + render(a.atts[i]);
    out += ")";
    if (a.changed_since) out += " changedsince=" + std::to_string(*a.changed_since);
    if (a.vanished) out += " VANISHED";
    return out;
  }
  std::string operator()(const StoreArgs& a) const {
    std::string out = " set=" + set(a.set);
    if (a.unchanged_since) out += " unchangedsince=" + std::to_string(*a.unchanged_since);
    out += a.mode == StoreArgs::Mode::kAdd      ? " +"
           : a.mode == StoreArgs::Mode::kRemove ? " -"
                                                : " =";
    out += "FLAGS";
    if (a.silent) out += ".SILENT";
    return out + " " + list(a.flags);
  }
  std::string operator()(const SearchArgs& a) const {
    std::string out;
    if (a.esearch) out += " return=" + list(a.return_options);
    if (!a.charset.empty()) out += " charset=" + a.charset;
    return out + " key=" + render(a.key);
  }
  std::string operator()(const CopyArgs& a) const {
    return " set=" + set(a.set) + " mailbox=" + q(a.mailbox);
  }
  std::string operator()(const ExpungeArgs& a) const { return a.set ? " set=" + set(*a.set) : ""; }
  std::string operator()(const EnableArgs& a) const { return " " + list(a.capabilities); }
  std::string operator()(const IdArgs& a) const {
    if (!a.fields) return " NIL";
    std::string out = " (";
    for (const auto& [k, v] : *a.fields) out += q(k) + "=" + (v ? q(*v) : "NIL") + " ";
    return out + ")";
  }
  std::string operator()(const GetQuotaArgs& a) const { return " root=" + q(a.root); }
  std::string operator()(const SetQuotaArgs& a) const {
    std::string out = " root=" + q(a.root) + " (";
    for (const auto& [r, l] : a.limits) out += r + "=" + std::to_string(l) + " ";
    return out + ")";
  }
};

}  // namespace

std::string render(const FetchAtt& a) {
  using Item = FetchAtt::Item;
  std::string out;
  switch (a.item) {
    case Item::kEnvelope: return "ENVELOPE";
    case Item::kFlags: return "FLAGS";
    case Item::kInternalDate: return "INTERNALDATE";
    case Item::kRfc822: return "RFC822";
    case Item::kRfc822Header: return "RFC822.HEADER";
    case Item::kRfc822Size: return "RFC822.SIZE";
    case Item::kRfc822Text: return "RFC822.TEXT";
    case Item::kBody: return "BODY";
    case Item::kBodyStructure: return "BODYSTRUCTURE";
    case Item::kUid: return "UID";
    case Item::kModseq: return "MODSEQ";
    case Item::kBodySection: out = a.peek ? "BODY.PEEK" : "BODY"; break;
    case Item::kBinary: out = a.peek ? "BINARY.PEEK" : "BINARY"; break;
    case Item::kBinarySize: out = "BINARY.SIZE"; break;
  }
  out += "[" + section(a.section) + "]";
  if (a.partial) {
    out += "<" + std::to_string(a.partial->first) + "." + std::to_string(a.partial->second) + ">";
  }
  return out;
}

std::string render(const SearchKey& k) {
  using T = SearchKey::Type;
  switch (k.type) {
    case T::kAll: return "ALL";
    case T::kAnswered: return "ANSWERED";
    case T::kDeleted: return "DELETED";
    case T::kDraft: return "DRAFT";
    case T::kFlagged: return "FLAGGED";
    case T::kNew: return "NEW";
    case T::kOld: return "OLD";
    case T::kRecent: return "RECENT";
    case T::kSeen: return "SEEN";
    case T::kUnanswered: return "UNANSWERED";
    case T::kUndeleted: return "UNDELETED";
    case T::kUndraft: return "UNDRAFT";
    case T::kUnflagged: return "UNFLAGGED";
    case T::kUnseen: return "UNSEEN";
    case T::kKeyword: return "KEYWORD " + q(k.text);
    case T::kUnkeyword: return "UNKEYWORD " + q(k.text);
    case T::kBcc: return "BCC " + q(k.text);
    case T::kBody: return "BODY " + q(k.text);
    case T::kCc: return "CC " + q(k.text);
    case T::kFrom: return "FROM " + q(k.text);
    case T::kSubject: return "SUBJECT " + q(k.text);
    case T::kText: return "TEXT " + q(k.text);
    case T::kTo: return "TO " + q(k.text);
    case T::kHeader: return "HEADER " + q(k.field) + " " + q(k.text);
    case T::kBefore: return "BEFORE day" + std::to_string(k.date);
    case T::kOn: return "ON day" + std::to_string(k.date);
    case T::kSince: return "SINCE day" + std::to_string(k.date);
    case T::kSentBefore: return "SENTBEFORE day" + std::to_string(k.date);
    case T::kSentOn: return "SENTON day" + std::to_string(k.date);
    case T::kSentSince: return "SENTSINCE day" + std::to_string(k.date);
    case T::kLarger: return "LARGER " + std::to_string(k.number);
    case T::kSmaller: return "SMALLER " + std::to_string(k.number);
    case T::kUid: return "UID " + set(k.set);
    case T::kSequenceSet: return "SET " + set(k.set);
    case T::kModseq: return "MODSEQ " + std::to_string(k.number);
    case T::kNot: return "NOT " + render(k.children.at(0));
    case T::kOr: return "OR " + render(k.children.at(0)) + " " + render(k.children.at(1));
    case T::kAnd: {
      std::string out = "AND(";
      for (size_t i = 0; i < k.children.size(); ++i) out += (i ? " " : "") + render(k.children[i]);
      return out + ")";
    }
  }
  return "?";
}

std::string render(const Command& c) {
  return "tag=" + escape(c.tag) + " " + (c.uid ? "UID " : "") + std::string(to_string(c.name)) +
         std::visit(Visitor{}, c.args);
}

}  // namespace hm::imap::proto
