// SEARCH (RFC 3501 6.4.4 and 9 "search-key"), ESEARCH's RETURN (RFC 4731)
// and CONDSTORE's MODSEQ key (RFC 7162 3.1.5).

#include <string>

#include "imap/proto/parser_parts.h"

namespace hm::imap::proto {

namespace {

using Type = SearchKey::Type;

bool key(Lexer& lex, int depth, SearchKey& out);

// A key that is a sequence set ("1:5,*"): starts with a digit or "*".
bool starts_set(char c) { return (c >= '0' && c <= '9') || c == '*'; }

bool string_arg(Lexer& lex, const std::string& name, std::string& out) {
  return lex.space(name) && lex.astring(out, "the " + name + " search string");
}

bool date_arg(Lexer& lex, const std::string& name, SearchKey& out) {
  return lex.space(name) && lex.date(out.date, name);
}

bool key(Lexer& lex, int depth, SearchKey& out) {
  if (depth > kMaxSearchDepth) return lex.fail("SEARCH keys nested too deep");
  if (lex.consume('(')) {
    out.type = Type::kAnd;
    do {
      if (out.children.size() >= 1000) return lex.fail("Too many SEARCH keys in parentheses");
      SearchKey child;
      if (!key(lex, depth + 1, child)) return false;
      out.children.push_back(std::move(child));
    } while (lex.consume(' '));
    return lex.expect(')', "\")\" to close the parenthesised SEARCH keys");
  }
  if (starts_set(lex.peek())) {
    out.type = Type::kSequenceSet;
    return lex.sequence_set(out.set, "SEARCH");
  }
  const std::string name = upper(lex.atom());
  static const std::pair<const char*, Type> kFlagKeys[] = {
      {"ALL", Type::kAll},
      {"ANSWERED", Type::kAnswered},
      {"DELETED", Type::kDeleted},
      {"DRAFT", Type::kDraft},
      {"FLAGGED", Type::kFlagged},
      {"NEW", Type::kNew},
      {"OLD", Type::kOld},
      {"RECENT", Type::kRecent},
      {"SEEN", Type::kSeen},
      {"UNANSWERED", Type::kUnanswered},
      {"UNDELETED", Type::kUndeleted},
      {"UNDRAFT", Type::kUndraft},
      {"UNFLAGGED", Type::kUnflagged},
      {"UNSEEN", Type::kUnseen},
  };
  for (const auto& [n, t] : kFlagKeys) {
    if (name == n) {
      out.type = t;
      return true;
    }
  }
  static const std::pair<const char*, Type> kStringKeys[] = {
      {"BCC", Type::kBcc},         {"BODY", Type::kBody}, {"CC", Type::kCc}, {"FROM", Type::kFrom},
      {"SUBJECT", Type::kSubject}, {"TEXT", Type::kText}, {"TO", Type::kTo},
  };
  for (const auto& [n, t] : kStringKeys) {
    if (name == n) {
      out.type = t;
      return string_arg(lex, name, out.text);
    }
  }
  static const std::pair<const char*, Type> kDateKeys[] = {
      {"BEFORE", Type::kBefore},         {"ON", Type::kOn},         {"SINCE", Type::kSince},
      {"SENTBEFORE", Type::kSentBefore}, {"SENTON", Type::kSentOn}, {"SENTSINCE", Type::kSentSince},
  };
  for (const auto& [n, t] : kDateKeys) {
    if (name == n) {
      out.type = t;
      return date_arg(lex, name, out);
    }
  }
  if (name == "KEYWORD" || name == "UNKEYWORD") {
    out.type = name == "KEYWORD" ? Type::kKeyword : Type::kUnkeyword;
    if (!lex.space(name)) return false;
    const std::string_view k = lex.atom();
    if (k.empty()) return lex.fail("Expected a keyword after " + name + ", found " + lex.near());
    out.text.assign(k);
    return true;
  }
  if (name == "HEADER") {
    out.type = Type::kHeader;
    return lex.space(name) && lex.astring(out.field, "the HEADER field name") &&
           lex.space("the HEADER field name") && lex.astring(out.text, "the HEADER search string");
  }
  if (name == "LARGER" || name == "SMALLER") {
    out.type = name == "LARGER" ? Type::kLarger : Type::kSmaller;
    uint32_t n = 0;
    if (!lex.space(name) || !lex.number(n, name)) return false;
    out.number = n;
    return true;
  }
  if (name == "UID") {
    out.type = Type::kUid;
    return lex.space(name) && lex.sequence_set(out.set, "UID");
  }
  if (name == "MODSEQ") {
    out.type = Type::kModseq;
    if (!lex.space(name)) return false;
    if (lex.peek() == '"') {  // entry-name SP entry-type-req: accepted, not used
      std::string entry;
      if (!lex.string(entry, "the MODSEQ entry name") || !lex.space("the MODSEQ entry name")) {
        return false;
      }
      const std::string type = upper(lex.atom());
      if (type != "PRIV" && type != "SHARED" && type != "ALL") {
        return lex.fail("MODSEQ entry type must be priv, shared or all");
      }
      if (!lex.space("the MODSEQ entry type")) return false;
    }
    return lex.number64(out.number, "MODSEQ");
  }
  if (name == "NOT") {
    out.type = Type::kNot;
    out.children.resize(1);
    return lex.space(name) && key(lex, depth + 1, out.children[0]);
  }
  if (name == "OR") {
    out.type = Type::kOr;
    out.children.resize(2);
    return lex.space(name) && key(lex, depth + 1, out.children[0]) &&
           lex.space("the first OR key") && key(lex, depth + 1, out.children[1]);
  }
  if (name.empty()) return lex.fail("Expected a SEARCH key, found " + lex.near());
  return lex.fail("Unknown SEARCH key \"" + name + "\"");
}

bool return_options(Lexer& lex, SearchArgs& out) {
  out.esearch = true;
  if (!lex.space("RETURN") || !lex.expect('(', "\"(\" after RETURN")) return false;
  if (lex.consume(')')) return lex.space("RETURN ()");
  do {
    const std::string opt = upper(lex.atom());
    if (opt != "MIN" && opt != "MAX" && opt != "ALL" && opt != "COUNT") {
      return lex.fail("Unknown SEARCH RETURN option \"" + opt + "\" (MIN, MAX, ALL, COUNT)");
    }
    out.return_options.push_back(opt);
  } while (lex.consume(' '));
  return lex.expect(')', "\")\" to close the RETURN options") && lex.space("RETURN (...)");
}

}  // namespace

bool parse_search(Lexer& lex, SearchArgs& out) {
  if (lex.keyword("RETURN") && !return_options(lex, out)) return false;
  if (lex.keyword("CHARSET")) {
    if (!lex.space("CHARSET") || !lex.astring(out.charset, "the charset name") ||
        !lex.space("the charset")) {
      return false;
    }
    out.charset = upper(out.charset);
  }
  std::vector<SearchKey> keys;
  do {
    if (keys.size() >= 1000) return lex.fail("Too many SEARCH keys");
    SearchKey k;
    if (!key(lex, 0, k)) return false;
    keys.push_back(std::move(k));
  } while (lex.consume(' '));
  if (!lex.expect_end()) return false;
  if (keys.size() == 1) {
    out.key = std::move(keys[0]);
  } else {
    out.key.type = Type::kAnd;
    out.key.children = std::move(keys);
  }
  return true;
}

}  // namespace hm::imap::proto
