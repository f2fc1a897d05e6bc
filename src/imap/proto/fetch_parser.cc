// FETCH attributes (RFC 3501 6.4.5 and 9 "fetch-att"), BINARY (RFC 3516),
// CONDSTORE/QRESYNC modifiers (RFC 7162 3.1.4, 3.2.6).

#include <string>

#include "imap/proto/parser_parts.h"

namespace hm::imap::proto {

namespace {

using Item = FetchAtt::Item;

// A fetch-att's name: letters, digits, dots, "-" and "_", up to "[", "<",
// SP or ")". (The last two are in no name we know, but reading them makes
// the error name what the client sent, e.g. "X-GM-LABELS".)
std::string att_name(Lexer& lex) {
  std::string name;
  while (!lex.at_end()) {
    const char c = lex.peek();
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-' || c == '_')) {
      break;
    }
    name += c;
    lex.consume(c);
    if (name.size() > 32) break;
  }
  return upper(name);
}

bool header_list(Lexer& lex, std::vector<std::string>& fields) {
  if (!lex.expect('(', "\"(\" to open the header field list")) return false;
  do {
    std::string field;
    if (!lex.astring(field, "a header field name")) return false;
    if (field.empty()) return lex.fail("Empty header field name");
    fields.push_back(upper(field));
  } while (lex.consume(' '));
  return lex.expect(')', "\")\" to close the header field list");
}

// After "[": section-spec "]"; `binary` sections hold only a part number.
bool section(Lexer& lex, bool binary, Section& out) {
  bool need_text = true;
  if (lex.peek() >= '0' && lex.peek() <= '9') {
    need_text = false;
    do {
      if (lex.peek() < '0' || lex.peek() > '9') {
        need_text = true;
        break;
      }
      uint32_t n = 0;
      if (!lex.nz_number(n, "a section part")) return false;
      if (out.part.size() >= 64) return lex.fail("Section part nested too deep");
      out.part.push_back(n);
    } while (lex.consume('.'));
  }
  if (lex.consume(']')) {
    if (need_text && !out.part.empty()) return lex.fail("Section ends with \".\"");
    return true;
  }
  if (binary)
    return lex.fail("BINARY takes only a part number as its section, found " + lex.near());
  const std::string name = att_name(lex);
  if (name == "HEADER") {
    out.text = Section::Text::kHeader;
  } else if (name == "HEADER.FIELDS" || name == "HEADER.FIELDS.NOT") {
    out.text =
        name == "HEADER.FIELDS" ? Section::Text::kHeaderFields : Section::Text::kHeaderFieldsNot;
    if (!lex.space(name) || !header_list(lex, out.fields)) return false;
  } else if (name == "TEXT") {
    out.text = Section::Text::kText;
  } else if (name == "MIME" && !out.part.empty()) {
    out.text = Section::Text::kMime;
  } else {
    return lex.fail("Unknown section \"" + name +
                    "\" (expected HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME)");
  }
  return lex.expect(']', "\"]\" to close the section");
}

bool partial(Lexer& lex, FetchAtt& att) {
  if (!lex.consume('<')) return true;
  uint32_t origin = 0;
  uint32_t count = 0;
  if (!lex.number(origin, "the partial origin") || !lex.expect('.', "\".\" in <origin.count>") ||
      !lex.nz_number(count, "the partial length") ||
      !lex.expect('>', "\">\" to close <origin.count>")) {
    return false;
  }
  att.partial = std::make_pair(origin, count);
  return true;
}

bool fetch_att(Lexer& lex, std::vector<FetchAtt>& out) {
  const std::string name = att_name(lex);
  FetchAtt att;
  static const std::pair<const char*, Item> kSimple[] = {
      {"ENVELOPE", Item::kEnvelope},
      {"FLAGS", Item::kFlags},
      {"INTERNALDATE", Item::kInternalDate},
      {"RFC822", Item::kRfc822},
      {"RFC822.HEADER", Item::kRfc822Header},
      {"RFC822.SIZE", Item::kRfc822Size},
      {"RFC822.TEXT", Item::kRfc822Text},
      {"BODYSTRUCTURE", Item::kBodyStructure},
      {"UID", Item::kUid},
      {"MODSEQ", Item::kModseq},
  };
  for (const auto& [n, item] : kSimple) {
    if (name == n) {
      att.item = item;
      out.push_back(att);
      return true;
    }
  }
  if (name == "BODY" && lex.peek() != '[') {
    att.item = Item::kBody;
    out.push_back(att);
    return true;
  }
  if (name == "BODY" || name == "BODY.PEEK") {
    att.item = Item::kBodySection;
  } else if (name == "BINARY" || name == "BINARY.PEEK") {
    att.item = Item::kBinary;
  } else if (name == "BINARY.SIZE") {
    att.item = Item::kBinarySize;
  } else {
    if (name.empty()) return lex.fail("Expected a FETCH attribute, found " + lex.near());
    return lex.fail("Unknown FETCH attribute \"" + name + "\"");
  }
  att.peek = name.ends_with(".PEEK");
  if (!lex.expect('[', "\"[\" after " + name)) return false;
  if (!section(lex, att.item != Item::kBodySection, att.section)) return false;
  if (att.item != Item::kBinarySize && !partial(lex, att)) return false;
  out.push_back(std::move(att));
  return true;
}

bool modifiers(Lexer& lex, bool uid, FetchArgs& out) {
  if (!lex.consume(' ')) return true;
  if (!lex.expect('(', "\"(\" to open the FETCH modifiers")) return false;
  do {
    if (lex.keyword("CHANGEDSINCE")) {
      uint64_t n = 0;
      if (!lex.space("CHANGEDSINCE") || !lex.number64(n, "CHANGEDSINCE")) return false;
      out.changed_since = n;
    } else if (lex.keyword("VANISHED")) {
      out.vanished = true;
    } else {
      return lex.fail("Unknown FETCH modifier at " + lex.near() +
                      " (expected CHANGEDSINCE or VANISHED)");
    }
  } while (lex.consume(' '));
  if (!lex.expect(')', "\")\" to close the FETCH modifiers")) return false;
  // RFC 7162 3.2.6: VANISHED only in UID FETCH, and only with CHANGEDSINCE.
  if (out.vanished && !uid) return lex.fail("VANISHED is allowed only in UID FETCH");
  if (out.vanished && !out.changed_since) return lex.fail("VANISHED requires CHANGEDSINCE");
  return true;
}

}  // namespace

bool parse_fetch(Lexer& lex, bool uid, FetchArgs& out) {
  if (!lex.sequence_set(out.set, "FETCH") || !lex.space("the sequence set")) return false;
  auto A = [](Item item) {
    FetchAtt att;
    att.item = item;
    return att;
  };
  if (lex.keyword("ALL")) {
    out.atts = {A(Item::kFlags), A(Item::kInternalDate), A(Item::kRfc822Size), A(Item::kEnvelope)};
  } else if (lex.keyword("FAST")) {
    out.atts = {A(Item::kFlags), A(Item::kInternalDate), A(Item::kRfc822Size)};
  } else if (lex.keyword("FULL")) {
    out.atts = {A(Item::kFlags), A(Item::kInternalDate), A(Item::kRfc822Size), A(Item::kEnvelope),
                A(Item::kBody)};
  } else if (lex.consume('(')) {
    do {
      if (out.atts.size() >= 256) return lex.fail("Too many FETCH attributes");
      if (!fetch_att(lex, out.atts)) return false;
    } while (lex.consume(' '));
    if (!lex.expect(')', "\")\" to close the FETCH attribute list")) return false;
  } else {
    if (!fetch_att(lex, out.atts)) return false;
  }
  return modifiers(lex, uid, out) && lex.expect_end();
}

}  // namespace hm::imap::proto
