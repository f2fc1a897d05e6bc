#include "smtp/proto/command_parser.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <climits>
#include <string>
#include <vector>

#include "base/strings.h"
#include "mail/address_syntax.h"

namespace hm::smtp::proto {

namespace {

using ParseResult = std::variant<Command, Reply>;

// RFC 5321 4.5.3.1.3: a path is at most 256 octets, brackets included.
constexpr size_t kMaxPath = 256;
// 20 digits hold every unsigned 64-bit value.
constexpr size_t kMaxDigits = 20;
constexpr size_t kMaxSaslMech = 20;  // RFC 4422 3.1

Reply syntax(std::string_view text) { return make_reply(501, "5.5.4", text); }

bool is_alpha(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }

bool has_non_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return true;
  }
  return false;
}

// Whether the UTF-8 sequence at s[i] encodes a C1 control (U+0080-U+009F,
// NEL among them) or the line and paragraph separators U+2028 and U+2029.
// SMTPUTF8 lets such bytes into addresses and HELO names, and from there
// they would reach headers (Return-Path:, Received:) that other software
// splits into lines at them; the command line refuses them, as it refuses
// ASCII controls.
bool is_control_or_separator(std::string_view s, size_t i) {
  auto at = [&](size_t k) -> unsigned {
    return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u;
  };
  if (at(i) == 0xC2) return at(i + 1) >= 0x80 && at(i + 1) <= 0x9F;
  if (at(i) == 0xE2) return at(i + 1) == 0x80 && (at(i + 2) == 0xA8 || at(i + 2) == 0xA9);
  return false;
}

// Unsigned decimal, saturating at ULLONG_MAX. `s` must be digits only.
unsigned long long to_number(std::string_view s) {
  unsigned long long n = 0;
  for (char c : s) {
    const unsigned d = static_cast<unsigned>(c - '0');
    if (n > (ULLONG_MAX - d) / 10) return ULLONG_MAX;
    n = n * 10 + d;
  }
  return n;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// sub-domain *("." sub-domain) (RFC 5321 4.1.2), with U-labels (RFC 6531)
// when `utf8`. `underscore` is a tolerance for HELO names of Windows hosts.
bool valid_domain(std::string_view d, bool utf8, bool underscore) {
  mail::DomainSyntax syntax;
  syntax.utf8 = utf8;
  syntax.underscore = underscore;
  return mail::check_domain(d, syntax) == mail::DomainError::kNone;
}

// address-literal (RFC 5321 4.1.3), brackets included.
bool valid_address_literal(std::string_view a) {
  if (a.size() < 3 || a.front() != '[' || a.back() != ']') return false;
  const std::string inner(a.substr(1, a.size() - 2));
  std::array<unsigned char, 16> buf{};
  if (inner.size() > 5 && iequals(std::string_view(inner).substr(0, 5), "IPv6:")) {
    return inet_pton(AF_INET6, inner.c_str() + 5, buf.data()) == 1;
  }
  const size_t colon = inner.find(':');
  if (colon == std::string::npos) return inet_pton(AF_INET, inner.c_str(), buf.data()) == 1;
  // General-address-literal: Standardized-tag ":" 1*dcontent.
  const std::string_view tag = std::string_view(inner).substr(0, colon);
  const std::string_view content = std::string_view(inner).substr(colon + 1);
  if (tag.empty() || !is_alnum(static_cast<unsigned char>(tag.back()))) return false;
  for (unsigned char c : tag) {
    if (!is_alnum(c) && c != '-') return false;
  }
  if (content.empty()) return false;
  for (unsigned char c : content) {
    if (c < 33 || c > 126 || c == '[' || c == '\\' || c == ']') return false;
  }
  return true;
}

bool valid_domain_or_literal(std::string_view d, bool utf8, bool underscore) {
  if (!d.empty() && d.front() == '[') return valid_address_literal(d);
  return valid_domain(d, utf8, underscore);
}

// Local-part (RFC 5321 4.1.2) of a mailbox: Dot-string or Quoted-string, with
// UTF-8 (RFC 6531) when `utf8`. The Dot-string check tolerates empty atoms
// ("a..b", "a.") as Postfix does: such addresses exist in the wild, and the
// parser's job is to find the address, not to judge it.
bool valid_local_part(std::string_view l, bool utf8) {
  if (!l.empty() && l.front() == '"') {
    return mail::check_quoted_string(l, utf8) == mail::QuotedError::kNone;
  }
  return mail::is_dot_string(l, utf8, /*strict=*/false);
}

// Mailbox = Local-part "@" ( Domain / address-literal ).
bool valid_mailbox(std::string_view m, bool utf8) {
  const size_t at = mail::local_part_end(m);
  if (at == std::string_view::npos) return false;
  return valid_local_part(m.substr(0, at), utf8) &&
         valid_domain_or_literal(m.substr(at + 1), utf8, false);
}

// A-d-l = At-domain *( "," At-domain ); At-domain = "@" Domain.
bool valid_source_route(std::string_view route, bool utf8) {
  size_t start = 0;
  for (;;) {
    const size_t comma = route.find(',', start);
    const std::string_view part = route.substr(start, comma - start);
    if (part.size() < 2 || part.front() != '@') return false;
    if (!valid_domain_or_literal(part.substr(1), utf8, false)) return false;
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

// Splits on runs of spaces.
std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

struct VerbName {
  std::string_view name;
  Verb verb;
};

constexpr std::array<VerbName, 14> kVerbs{{
    {"HELO", Verb::kHelo},
    {"EHLO", Verb::kEhlo},
    {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt},
    {"DATA", Verb::kData},
    {"BDAT", Verb::kBdat},
    {"RSET", Verb::kRset},
    {"NOOP", Verb::kNoop},
    {"QUIT", Verb::kQuit},
    {"HELP", Verb::kHelp},
    {"VRFY", Verb::kVrfy},
    {"EXPN", Verb::kExpn},
    {"STARTTLS", Verb::kStartTls},
    {"AUTH", Verb::kAuth},
}};

ParseResult parse_hello(Command cmd, std::string_view rest, const ParseOptions& options) {
  const std::string usage =
      std::string("Syntax: ") + (cmd.verb == Verb::kEhlo ? "EHLO" : "HELO") + " hostname";
  if (rest.empty()) return syntax(usage);
  if (rest.find(' ') != std::string_view::npos) {
    return syntax(usage + " (one domain name or address literal, no spaces)");
  }
  if (!valid_domain_or_literal(rest, options.smtputf8, true)) {
    return syntax(usage + " (not a valid domain name or address literal)");
  }
  cmd.argument = std::string(rest);
  return cmd;
}

// MAIL and RCPT share everything but the keyword, the parameters they take
// and the enhanced code of an address error.
ParseResult parse_path_command(Command cmd, std::string_view rest, const ParseOptions& options) {
  const bool mail = cmd.verb == Verb::kMail;
  const std::string_view keyword = mail ? "FROM:" : "TO:";
  const std::string usage = mail ? "Syntax: MAIL FROM:<address>" : "Syntax: RCPT TO:<address>";
  const std::string_view address_code = mail ? "5.1.7" : "5.1.3";
  const std::string_view what = mail ? "sender" : "recipient";

  if (rest.size() < keyword.size() || !iequals(rest.substr(0, keyword.size()), keyword)) {
    return syntax(usage);
  }
  std::string_view s = rest.substr(keyword.size());
  // Postfix tolerates "MAIL FROM: <a@b>"; so do we (RFC 5321 4.1.1.2 has
  // no space, but clients that add one are common).
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.empty() || s.front() != '<') {
    return syntax(usage + " (the address must be enclosed in angle brackets)");
  }

  // Find the closing bracket; a quoted local part may hold ">" or spaces.
  size_t end = 1;
  bool quoted = false;
  while (end < s.size()) {
    const char c = s[end];
    if (quoted) {
      if (c == '\\') {
        end += 2;
        continue;
      }
      if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      break;
    }
    ++end;
  }
  if (end >= s.size()) return syntax(usage + " (missing '>' after the address)");
  if (end + 1 > kMaxPath) {
    return make_reply(501, address_code,
                      std::string("Bad ") + std::string(what) + " address: longer than 256 octets");
  }
  const std::string_view inner = s.substr(1, end - 1);
  const std::string_view after = s.substr(end + 1);
  if (!after.empty() && after.front() != ' ') {
    return syntax(usage + " [parameters] (a space must separate '>' from the parameters)");
  }

  bool has_smtputf8 = false;
  for (std::string_view tok : tokens(after)) {
    const size_t eq = tok.find('=');
    const std::string_view raw_key = tok.substr(0, eq);
    const bool has_value = eq != std::string_view::npos;
    const std::string_view value = has_value ? tok.substr(eq + 1) : std::string_view();
    // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); esmtp-value is
    // 1*(%d33-60 / %d62-126) (RFC 5321 4.1.2).
    bool key_ok = !raw_key.empty() && is_alnum(static_cast<unsigned char>(raw_key.front()));
    for (unsigned char c : raw_key) key_ok = key_ok && (is_alnum(c) || c == '-');
    bool value_ok = !has_value || !value.empty();
    for (unsigned char c : value) value_ok = value_ok && c >= 33 && c <= 126 && c != '=';
    if (!key_ok || !value_ok) {
      return syntax("Syntax: malformed parameter \"" + std::string(tok) +
                    "\" (expected KEYWORD or KEYWORD=value)");
    }
    std::string key = upper(raw_key);
    if (cmd.param(key) != nullptr) {
      return syntax("Syntax: parameter " + key + " given more than once");
    }
    std::string stored(value);
    if (!mail) {
      return make_reply(555, "5.5.4", "RCPT parameter " + key + " is not supported");
    } else if (key == "SIZE") {
      if (!has_value || !all_digits(value)) return syntax("Syntax: SIZE=<message size in octets>");
      cmd.size = value.size() > kMaxDigits ? ULLONG_MAX : to_number(value);
    } else if (key == "BODY") {
      if (!has_value) return syntax("Syntax: BODY=7BIT or BODY=8BITMIME");
      stored = upper(value);
      if (stored != "7BIT" && stored != "8BITMIME") {
        return make_reply(555, "5.5.4",
                          "BODY=" + std::string(value) + " is not supported (7BIT or 8BITMIME)");
      }
    } else if (key == "SMTPUTF8" && options.smtputf8) {
      if (has_value) return syntax("Syntax: SMTPUTF8 takes no value");
      has_smtputf8 = true;
    } else if (key == "AUTH") {
      // RFC 4954 5: a server that offers AUTH must accept AUTH=<mailbox> or AUTH=<>.
      if (!has_value) return syntax("Syntax: AUTH=<mailbox> or AUTH=<>");
    } else {
      return make_reply(555, "5.5.4", "MAIL parameter " + key + " is not supported");
    }
    cmd.params.emplace_back(std::move(key), std::move(stored));
  }

  const bool utf8 = mail ? has_smtputf8 : options.smtputf8;
  if (has_non_ascii(inner) && !utf8) {
    // RFC 6531 3.5 / RFC 6533: non-ASCII address without SMTPUTF8.
    return make_reply(553, "5.6.7",
                      std::string("Non-ASCII ") + std::string(what) + " address needs SMTPUTF8" +
                          (mail ? " (add the SMTPUTF8 parameter to MAIL)" : " on MAIL"));
  }
  const std::string bad = std::string("Bad ") + std::string(what) + " address syntax";
  if (!mail::is_valid_utf8(inner)) {
    return make_reply(501, address_code, bad + " (not valid UTF-8)");
  }

  std::string_view mailbox = inner;
  if (!mailbox.empty() && mailbox.front() == '@') {
    // Source route (RFC 5321 4.1.1.3, C): accepted and ignored.
    // The route ends at the first ":" outside an address literal.
    size_t colon = 0;
    for (bool literal = false; colon < mailbox.size(); ++colon) {
      const char c = mailbox[colon];
      if (c == '[') literal = true;
      if (c == ']') literal = false;
      if (c == ':' && !literal) break;
    }
    if (colon == mailbox.size() || !valid_source_route(mailbox.substr(0, colon), utf8)) {
      return make_reply(501, address_code, bad + " (malformed source route)");
    }
    mailbox.remove_prefix(colon + 1);
    if (mailbox.empty())
      return make_reply(501, address_code, bad + " (source route without mailbox)");
  }
  if (mailbox.empty()) {
    if (mail) {
      cmd.path.clear();  // the null reverse-path <>
      return cmd;
    }
    return make_reply(501, address_code, bad + " (<> is not a recipient)");
  }
  if (!mail && iequals(mailbox, "postmaster")) {
    // RFC 5321 4.5.1: "Postmaster" without domain, in any case.
    cmd.path = std::string(mailbox);
    return cmd;
  }
  if (!valid_mailbox(mailbox, utf8)) {
    return make_reply(501, address_code, bad + " (expected local-part@domain)");
  }
  cmd.path = std::string(mailbox);
  return cmd;
}

ParseResult parse_auth(Command cmd, std::string_view rest) {
  const std::vector<std::string_view> t = tokens(rest);
  constexpr std::string_view usage = "Syntax: AUTH mechanism [initial-response]";
  if (t.empty() || t.size() > 2) return syntax(usage);
  bool ok = t[0].size() <= kMaxSaslMech;
  for (unsigned char c : t[0]) ok = ok && (is_alnum(c) || c == '-' || c == '_');
  if (!ok) return syntax(std::string(usage) + " (malformed mechanism name)");
  if (t.size() == 2) {
    // RFC 4954 4: base64, or "=" for an empty initial response.
    for (unsigned char c : t[1]) {
      ok = ok && (is_alnum(c) || c == '+' || c == '/' || c == '=');
    }
    if (!ok) return syntax(std::string(usage) + " (initial response is not base64)");
  }
  cmd.argument = std::string(t[0]);
  if (t.size() == 2) cmd.argument += " " + std::string(t[1]);
  return cmd;
}

ParseResult parse_bdat(Command cmd, std::string_view rest) {
  const std::vector<std::string_view> t = tokens(rest);
  constexpr std::string_view usage = "Syntax: BDAT <chunk size> [LAST]";
  if (t.empty() || t.size() > 2 || !all_digits(t[0])) return syntax(usage);
  if (t.size() == 2 && !iequals(t[1], "LAST")) return syntax(usage);
  if (t[0].size() > kMaxDigits || to_number(t[0]) == ULLONG_MAX) {
    return syntax(std::string(usage) + " (chunk size too large)");
  }
  cmd.chunk_size = to_number(t[0]);
  cmd.last_chunk = t.size() == 2;
  return cmd;
}

}  // namespace

std::variant<Command, Reply> parse_command(std::string_view line, const ParseOptions& options) {
  if (line.empty()) return make_reply(500, "5.5.2", "Syntax error: empty command line");
  const size_t longest = std::max(options.max_line_length, options.max_auth_line_length);
  if (line.size() > longest) {
    return make_reply(500, "5.5.2",
                      "Syntax error: command line too long (at most " +
                          std::to_string(options.max_line_length) + " octets)");
  }
  for (size_t i = 0; i < line.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (c < 0x20 || c == 0x7F) {
      return make_reply(500, "5.5.2", "Syntax error: NUL or control character in command line");
    }
    if (c >= 0xC2 && is_control_or_separator(line, i)) {
      return make_reply(500, "5.5.2",
                        "Syntax error: control or line-separator character in command line");
    }
  }

  const size_t sp = line.find(' ');
  const std::string_view name = line.substr(0, sp);
  std::string_view rest = sp == std::string_view::npos ? std::string_view() : line.substr(sp);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);

  Command cmd;
  bool known = false;
  for (const VerbName& v : kVerbs) {
    if (iequals(name, v.name)) {
      cmd.verb = v.verb;
      known = true;
      break;
    }
  }
  if (!known) return make_reply(500, "5.5.2", "Syntax error: command not recognized");

  const size_t limit =
      cmd.verb == Verb::kAuth ? options.max_auth_line_length : options.max_line_length;
  if (line.size() > limit) {
    return make_reply(
        500, "5.5.2",
        "Syntax error: command line too long (at most " + std::to_string(limit) + " octets)");
  }

  switch (cmd.verb) {
    case Verb::kHelo:
    case Verb::kEhlo: return parse_hello(std::move(cmd), rest, options);
    case Verb::kMail:
    case Verb::kRcpt: return parse_path_command(std::move(cmd), rest, options);
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStartTls:
      if (!rest.empty()) return syntax("Syntax: " + upper(name) + " takes no arguments");
      return cmd;
    case Verb::kNoop:
    case Verb::kHelp: cmd.argument = std::string(rest); return cmd;
    case Verb::kVrfy:
    case Verb::kExpn:
      if (rest.empty()) return syntax("Syntax: " + upper(name) + " <user or address>");
      cmd.argument = std::string(rest);
      return cmd;
    case Verb::kAuth: return parse_auth(std::move(cmd), rest);
    case Verb::kBdat: return parse_bdat(std::move(cmd), rest);
  }
  return make_reply(500, "5.5.2", "Syntax error: command not recognized");
}

}  // namespace hm::smtp::proto
