#include "imap/proto/command_parser.h"

#include <string>

#include "imap/proto/command_reader.h"
#include "imap/proto/mutf7.h"
#include "imap/proto/parser_parts.h"

namespace hm::imap::proto {

namespace {

struct NameEntry {
  const char* text;
  CommandName name;
};

constexpr NameEntry kNames[] = {
    {"CAPABILITY", CommandName::kCapability},
    {"NOOP", CommandName::kNoop},
    {"LOGOUT", CommandName::kLogout},
    {"ID", CommandName::kId},
    {"ENABLE", CommandName::kEnable},
    {"STARTTLS", CommandName::kStartTls},
    {"AUTHENTICATE", CommandName::kAuthenticate},
    {"LOGIN", CommandName::kLogin},
    {"SELECT", CommandName::kSelect},
    {"EXAMINE", CommandName::kExamine},
    {"CREATE", CommandName::kCreate},
    {"DELETE", CommandName::kDelete},
    {"RENAME", CommandName::kRename},
    {"SUBSCRIBE", CommandName::kSubscribe},
    {"UNSUBSCRIBE", CommandName::kUnsubscribe},
    {"LIST", CommandName::kList},
    {"LSUB", CommandName::kLsub},
    {"STATUS", CommandName::kStatus},
    {"APPEND", CommandName::kAppend},
    {"NAMESPACE", CommandName::kNamespace},
    {"GETQUOTA", CommandName::kGetQuota},
    {"SETQUOTA", CommandName::kSetQuota},
    {"GETQUOTAROOT", CommandName::kGetQuotaRoot},
    {"IDLE", CommandName::kIdle},
    {"CHECK", CommandName::kCheck},
    {"CLOSE", CommandName::kClose},
    {"UNSELECT", CommandName::kUnselect},
    {"EXPUNGE", CommandName::kExpunge},
    {"SEARCH", CommandName::kSearch},
    {"FETCH", CommandName::kFetch},
    {"STORE", CommandName::kStore},
    {"COPY", CommandName::kCopy},
    {"MOVE", CommandName::kMove},
};

// A mailbox name: astring, "INBOX" in any case is INBOX, the rest is
// modified UTF-7 decoded to UTF-8.
bool mailbox(Lexer& lex, std::string& out, std::string_view what = "the mailbox name") {
  std::string raw;
  if (!lex.astring(raw, what)) return false;
  if (static_cast<unsigned char>(lex.peek()) >= 0x80) {
    return lex.fail(
        "Mailbox name with 8-bit characters: send it in modified UTF-7 (RFC 3501 5.1.3)");
  }
  if (upper(raw) == "INBOX") {
    out = "INBOX";
    return true;
  }
  auto decoded = mutf7_decode(raw);
  if (!decoded) {
    return lex.fail("Mailbox name is not valid modified UTF-7 (RFC 3501 5.1.3)");
  }
  out = std::move(*decoded);
  return true;
}

// A list-mailbox (LIST/LSUB pattern or reference): string or 1*list-char,
// decoded like a mailbox name.
bool list_mailbox(Lexer& lex, std::string& out, std::string_view what) {
  std::string raw;
  const char c = lex.peek();
  if (c == '"' || c == '{') {
    if (!lex.string(raw, what)) return false;
  } else {
    const std::string_view a = lex.list_atom();
    if (a.empty()) return lex.fail("Expected " + std::string(what) + ", found " + lex.near());
    raw.assign(a);
  }
  auto decoded = mutf7_decode(raw);
  if (!decoded) return lex.fail("The " + std::string(what) + " is not valid modified UTF-7");
  out = std::move(*decoded);
  return true;
}

// "(" atom *(SP atom) ")", upper-cased; `allow_empty` for "()".
bool atom_list(Lexer& lex, std::vector<std::string>& out, std::string_view what, bool allow_empty) {
  if (!lex.expect('(', "\"(\" to open " + std::string(what))) return false;
  if (lex.consume(')')) {
    return allow_empty || lex.fail("Expected at least one item in " + std::string(what));
  }
  do {
    const std::string_view a = lex.atom();
    if (a.empty())
      return lex.fail("Expected an item of " + std::string(what) + ", found " + lex.near());
    if (out.size() >= 64) return lex.fail("Too many items in " + std::string(what));
    out.push_back(upper(a));
  } while (lex.consume(' '));
  return lex.expect(')', "\")\" to close " + std::string(what));
}

bool flag_list(Lexer& lex, std::vector<std::string>& flags, std::string_view what) {
  if (!lex.expect('(', "\"(\" to open the flag list of " + std::string(what))) return false;
  if (lex.consume(')')) return true;
  do {
    std::string f;
    if (!lex.flag(f, what)) return false;
    if (flags.size() >= 1024) return lex.fail("Too many flags");
    flags.push_back(std::move(f));
  } while (lex.consume(' '));
  return lex.expect(')', "\")\" to close the flag list");
}

bool parse_login(Lexer& lex, LoginArgs& a) {
  return lex.space("LOGIN") && lex.astring(a.user, "the user name") && lex.space("the user name") &&
         lex.astring(a.password, "the password") && lex.expect_end();
}

bool parse_authenticate(Lexer& lex, AuthenticateArgs& a) {
  if (!lex.space("AUTHENTICATE")) return false;
  const std::string_view mech = lex.atom();
  if (mech.empty() || mech.size() > 20) {
    return lex.fail("Expected a SASL mechanism name, found " + lex.near());
  }
  a.mechanism = upper(mech);
  if (lex.consume(' ')) {
    // SASL-IR: base64 or "=" (RFC 4959 7).
    const std::string_view ir = lex.atom();
    for (char c : ir) {
      const bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/' || c == '=';
      if (!b64) return lex.fail("The initial response must be base64 or \"=\"");
    }
    if (ir.empty()) return lex.fail("Expected the initial response, found " + lex.near());
    a.initial_response = std::string(ir);
  }
  return lex.expect_end();
}

// SELECT/EXAMINE parameters (RFC 4466 select-params): (CONDSTORE),
// (QRESYNC (uidvalidity modseq [known-uids] [(seqs uids)])).
bool select_params(Lexer& lex, MailboxArgs& a) {
  if (!lex.consume(' ')) return true;
  if (!lex.expect('(', "\"(\" to open the SELECT parameters")) return false;
  do {
    if (lex.keyword("CONDSTORE")) {
      a.condstore = true;
    } else if (lex.keyword("QRESYNC")) {
      MailboxArgs::Qresync q;
      if (!lex.space("QRESYNC") || !lex.expect('(', "\"(\" after QRESYNC") ||
          !lex.nz_number(q.uidvalidity, "the QRESYNC UIDVALIDITY") ||
          !lex.space("the UIDVALIDITY") || !lex.number64(q.modseq, "the QRESYNC mod-sequence")) {
        return false;
      }
      if (lex.consume(' ')) {
        if (lex.peek() != '(') {
          SequenceSet known;
          if (!lex.sequence_set(known, "the QRESYNC known UIDs")) return false;
          q.known_uids = std::move(known);
        }
        if (lex.peek() == '(' || (q.known_uids && lex.consume(' '))) {
          SequenceSet seqs, uids;
          if (!lex.expect('(', "\"(\" to open the QRESYNC sequence match data") ||
              !lex.sequence_set(seqs, "the known sequence numbers") ||
              !lex.space("the known sequence numbers") ||
              !lex.sequence_set(uids, "the known UIDs") ||
              !lex.expect(')', "\")\" to close the sequence match data")) {
            return false;
          }
          q.seq_match = std::make_pair(std::move(seqs), std::move(uids));
        }
      }
      if (!lex.expect(')', "\")\" to close the QRESYNC parameters")) return false;
      a.qresync = std::move(q);
    } else {
      return lex.fail("Unknown SELECT parameter at " + lex.near() +
                      " (expected CONDSTORE or QRESYNC)");
    }
  } while (lex.consume(' '));
  return lex.expect(')', "\")\" to close the SELECT parameters");
}

bool parse_list(Lexer& lex, bool lsub, ListArgs& a) {
  const char* name = lsub ? "LSUB" : "LIST";
  if (!lex.space(name)) return false;
  if (!lsub && lex.peek() == '(') {
    if (!atom_list(lex, a.selection, "the LIST selection options", true)) return false;
    for (const auto& s : a.selection) {
      if (s != "SUBSCRIBED" && s != "REMOTE" && s != "RECURSIVEMATCH" && s != "SPECIAL-USE") {
        return lex.fail("Unknown LIST selection option \"" + s + "\"");
      }
    }
    if (!lex.space("the selection options")) return false;
  }
  if (!list_mailbox(lex, a.reference, "the reference name") || !lex.space("the reference name")) {
    return false;
  }
  if (!lsub && lex.consume('(')) {  // LIST-EXTENDED: several patterns
    do {
      std::string p;
      if (!list_mailbox(lex, p, "the mailbox pattern")) return false;
      if (a.patterns.size() >= 64) return lex.fail("Too many LIST patterns");
      a.patterns.push_back(std::move(p));
    } while (lex.consume(' '));
    if (!lex.expect(')', "\")\" to close the mailbox patterns")) return false;
  } else {
    std::string p;
    if (!list_mailbox(lex, p, "the mailbox pattern")) return false;
    a.patterns.push_back(std::move(p));
  }
  if (!lsub && lex.consume(' ')) {
    if (!lex.keyword("RETURN")) return lex.fail("Expected RETURN, found " + lex.near());
    if (!lex.space("RETURN") || !lex.expect('(', "\"(\" after RETURN")) return false;
    if (!lex.consume(')')) {
      do {
        const std::string opt = upper(lex.atom());
        if (opt == "STATUS") {
          if (!lex.space("STATUS") || !atom_list(lex, a.status_items, "the STATUS items", false)) {
            return false;
          }
        } else if (opt != "SUBSCRIBED" && opt != "CHILDREN" && opt != "SPECIAL-USE") {
          return lex.fail("Unknown LIST return option \"" + opt + "\"");
        }
        a.return_options.push_back(opt);
      } while (lex.consume(' '));
      if (!lex.expect(')', "\")\" to close the RETURN options")) return false;
    }
  }
  return lex.expect_end();
}

bool status_items_valid(Lexer& lex, const std::vector<std::string>& items) {
  for (const auto& i : items) {
    if (i != "MESSAGES" && i != "RECENT" && i != "UIDNEXT" && i != "UIDVALIDITY" && i != "UNSEEN" &&
        i != "HIGHESTMODSEQ" && i != "SIZE" && i != "APPENDLIMIT") {
      return lex.fail("Unknown STATUS item \"" + i + "\"");
    }
  }
  return true;
}

bool parse_append(Lexer& lex, AppendArgs& a) {
  if (!lex.space("APPEND") || !mailbox(lex, a.mailbox)) return false;
  do {
    if (!lex.space(a.messages.empty() ? "the mailbox name" : "the message")) return false;
    AppendMessage m;
    if (lex.peek() == '(') {
      if (!flag_list(lex, m.flags, "APPEND") || !lex.space("the flag list")) return false;
    }
    if (lex.peek() == '"') {
      int64_t t = 0;
      if (!lex.date_time(t, "APPEND") || !lex.space("the date-time")) return false;
      m.internal_date = t;
    }
    if (lex.peek() != '{' && lex.peek() != '~') {
      return lex.fail("Expected the message as a literal {n}, found " + lex.near());
    }
    if (!lex.string8(m.message, m.binary, "the message")) return false;
    a.messages.push_back(std::move(m));
  } while (!lex.at_end() && lex.peek() == ' ');
  return lex.expect_end();
}

bool parse_store(Lexer& lex, StoreArgs& a) {
  if (!lex.space("STORE") || !lex.sequence_set(a.set, "STORE") || !lex.space("the sequence set")) {
    return false;
  }
  if (lex.consume('(')) {
    if (!lex.keyword("UNCHANGEDSINCE")) {
      return lex.fail("Unknown STORE modifier at " + lex.near() + " (expected UNCHANGEDSINCE)");
    }
    uint64_t n = 0;
    if (!lex.space("UNCHANGEDSINCE") || !lex.number64(n, "UNCHANGEDSINCE") ||
        !lex.expect(')', "\")\" to close the STORE modifiers") || !lex.space("the modifiers")) {
      return false;
    }
    a.unchanged_since = n;
  }
  if (lex.consume('+')) {
    a.mode = StoreArgs::Mode::kAdd;
  } else if (lex.consume('-')) {
    a.mode = StoreArgs::Mode::kRemove;
  }
  const std::string item = upper(lex.atom());
  if (item == "FLAGS.SILENT") {
    a.silent = true;
  } else if (item != "FLAGS") {
    return lex.fail("Expected FLAGS, +FLAGS or -FLAGS (optionally .SILENT), found \"" + item +
                    "\"");
  }
  if (!lex.space(item)) return false;
  if (lex.peek() == '(') {
    if (!flag_list(lex, a.flags, "STORE")) return false;
  } else {
    do {  // flags without parentheses (RFC 3501 9 store-att-flags)
      std::string f;
      if (!lex.flag(f, "STORE")) return false;
      if (a.flags.size() >= 1024) return lex.fail("Too many flags");
      a.flags.push_back(std::move(f));
    } while (lex.consume(' '));
  }
  return lex.expect_end();
}

bool parse_id(Lexer& lex, IdArgs& a) {
  if (!lex.space("ID")) return false;
  if (lex.keyword("NIL")) return lex.expect_end();
  if (!lex.expect('(', "\"(\" or NIL after ID")) return false;
  a.fields.emplace();
  if (!lex.consume(')')) {
    do {
      std::string field, value;
      bool nil = false;
      if (!lex.string(field, "the ID field name") || !lex.space("the ID field name") ||
          !lex.nstring(value, nil, "the ID field value")) {
        return false;
      }
      // RFC 2971 3.3: at most 30 pairs, fields at most 30 octets, values 1024.
      if (a.fields->size() >= 30 || field.size() > 30 || value.size() > 1024) {
        return lex.fail("ID data over the limits of RFC 2971 (30 fields, 30/1024 octets)");
      }
      a.fields->emplace_back(std::move(field),
                             nil ? std::nullopt : std::optional<std::string>(std::move(value)));
    } while (lex.consume(' '));
  }
  return lex.expect(')', "\")\" to close the ID list") && lex.expect_end();
}

// The arguments of `name`; the lexer is just after the command name.
bool parse_arguments(Lexer& lex, CommandName name, bool uid, Arguments& args) {
  switch (name) {
    case CommandName::kCapability:
    case CommandName::kNoop:
    case CommandName::kLogout:
    case CommandName::kStartTls:
    case CommandName::kNamespace:
    case CommandName::kIdle:
    case CommandName::kCheck:
    case CommandName::kClose:
    case CommandName::kUnselect: return lex.expect_end();
    case CommandName::kExpunge: {
      ExpungeArgs a;
      if (uid) {
        SequenceSet set;
        if (!lex.space("UID EXPUNGE") || !lex.sequence_set(set, "UID EXPUNGE")) return false;
        a.set = std::move(set);
      }
      args = std::move(a);
      return lex.expect_end();
    }
    case CommandName::kLogin: return parse_login(lex, args.emplace<LoginArgs>());
    case CommandName::kAuthenticate:
      return parse_authenticate(lex, args.emplace<AuthenticateArgs>());
    case CommandName::kId: return parse_id(lex, args.emplace<IdArgs>());
    case CommandName::kEnable: {
      auto& a = args.emplace<EnableArgs>();
      do {
        if (!lex.space(a.capabilities.empty() ? "ENABLE" : "the capability")) return false;
        const std::string_view c = lex.atom();
        if (c.empty()) return lex.fail("Expected a capability name, found " + lex.near());
        if (a.capabilities.size() >= 64) return lex.fail("Too many capabilities");
        a.capabilities.push_back(upper(c));
      } while (!lex.at_end());
      return true;
    }
    case CommandName::kSelect:
    case CommandName::kExamine: {
      auto& a = args.emplace<MailboxArgs>();
      return lex.space(to_string(name)) && mailbox(lex, a.mailbox) && select_params(lex, a) &&
             lex.expect_end();
    }
    case CommandName::kCreate: {
      auto& a = args.emplace<MailboxArgs>();
      if (!lex.space("CREATE") || !mailbox(lex, a.mailbox)) return false;
      if (lex.consume(' ')) {
        if (!lex.expect('(', "\"(\" to open the CREATE parameters")) return false;
        if (!lex.keyword("USE"))
          return lex.fail("Unknown CREATE parameter at " + lex.near() + " (expected USE)");
        if (!lex.space("USE") || !lex.expect('(', "\"(\" after USE")) return false;
        do {
          std::string attr;
          if (!lex.flag(attr, "USE")) return false;
          if (attr[0] != '\\' || a.special_use.size() >= 16) {
            return lex.fail("Expected special-use attributes such as \\Sent in USE");
          }
          a.special_use.push_back(std::move(attr));
        } while (lex.consume(' '));
        if (!lex.expect(')', "\")\" to close USE") ||
            !lex.expect(')', "\")\" to close the CREATE parameters")) {
          return false;
        }
      }
      return lex.expect_end();
    }
    case CommandName::kSetQuota: {
      auto& a = args.emplace<SetQuotaArgs>();
      if (!lex.space("SETQUOTA") || !lex.astring(a.root, "the quota root") ||
          !lex.space("the quota root") || !lex.expect('(', "\"(\" to open the quota limits")) {
        return false;
      }
      if (!lex.consume(')')) {
        do {
          const std::string resource = upper(lex.atom());
          uint64_t limit = 0;
          if (resource.empty())
            return lex.fail("Expected a quota resource name, found " + lex.near());
          if (!lex.space(resource) || !lex.number64(limit, resource)) return false;
          if (a.limits.size() >= 16) return lex.fail("Too many quota resources");
          a.limits.emplace_back(resource, limit);
        } while (lex.consume(' '));
        if (!lex.expect(')', "\")\" to close the quota limits")) return false;
      }
      return lex.expect_end();
    }
    case CommandName::kDelete:
    case CommandName::kSubscribe:
    case CommandName::kUnsubscribe:
    case CommandName::kGetQuotaRoot: {
      auto& a = args.emplace<MailboxArgs>();
      return lex.space(to_string(name)) && mailbox(lex, a.mailbox) && lex.expect_end();
    }
    case CommandName::kRename: {
      auto& a = args.emplace<RenameArgs>();
      return lex.space("RENAME") && mailbox(lex, a.from, "the existing mailbox name") &&
             lex.space("the existing mailbox name") && mailbox(lex, a.to, "the new mailbox name") &&
             lex.expect_end();
    }
    case CommandName::kList:
    case CommandName::kLsub:
      return parse_list(lex, name == CommandName::kLsub, args.emplace<ListArgs>());
    case CommandName::kStatus: {
      auto& a = args.emplace<StatusArgs>();
      return lex.space("STATUS") && mailbox(lex, a.mailbox) && lex.space("the mailbox name") &&
             atom_list(lex, a.items, "the STATUS items", false) &&
             status_items_valid(lex, a.items) && lex.expect_end();
    }
    case CommandName::kAppend: return parse_append(lex, args.emplace<AppendArgs>());
    case CommandName::kGetQuota: {
      auto& a = args.emplace<GetQuotaArgs>();
      return lex.space("GETQUOTA") && lex.astring(a.root, "the quota root") && lex.expect_end();
    }
    case CommandName::kSearch:
      return lex.space("SEARCH") && parse_search(lex, args.emplace<SearchArgs>());
    case CommandName::kFetch:
      return lex.space("FETCH") && parse_fetch(lex, uid, args.emplace<FetchArgs>());
    case CommandName::kStore: return parse_store(lex, args.emplace<StoreArgs>());
    case CommandName::kCopy:
    case CommandName::kMove: {
      auto& a = args.emplace<CopyArgs>();
      return lex.space(to_string(name)) && lex.sequence_set(a.set, to_string(name)) &&
             lex.space("the sequence set") && mailbox(lex, a.mailbox) && lex.expect_end();
    }
  }
  return lex.fail("Unhandled command");
}

Response bad(std::string_view tag, std::string text) {
  return make_response(tag, Status::kBad, "", text);
}

}  // namespace

std::string_view to_string(CommandName name) {
  for (const auto& e : kNames) {
    if (e.name == name) return e.text;
  }
  return "?";
}

bool is_idle_done(std::string_view line) { return upper(line) == "DONE"; }

std::variant<Command, Response> parse_command(std::string_view text) {
  if (text.empty()) return bad("", "Empty command line");
  const std::string_view tag = tag_of(text);
  if (tag.empty()) {
    return bad("", "Missing or invalid tag (a command starts with a tag such as \"a1\")");
  }
  Lexer lex(text.substr(tag.size()));
  Command cmd;
  cmd.tag.assign(tag);
  if (!lex.consume(' ')) return bad(tag, "Expected a space and a command name after the tag");
  std::string word = upper(lex.atom());
  if (word == "UID") {
    cmd.uid = true;
    if (!lex.consume(' ')) return bad(tag, "Expected a command after UID");
    word = upper(lex.atom());
  }
  const NameEntry* found = nullptr;
  for (const auto& e : kNames) {
    if (word == e.text) found = &e;
  }
  if (word.empty()) return bad(tag, "Expected a command name after the tag");
  if (found == nullptr) {
    return bad(tag, "Unknown command " + word.substr(0, 32));
  }
  cmd.name = found->name;
  if (cmd.uid && cmd.name != CommandName::kFetch && cmd.name != CommandName::kStore &&
      cmd.name != CommandName::kSearch && cmd.name != CommandName::kCopy &&
      cmd.name != CommandName::kMove && cmd.name != CommandName::kExpunge) {
    return bad(tag, "UID " + word +
                        " does not exist (UID goes with FETCH, STORE, SEARCH, COPY, "
                        "MOVE, EXPUNGE)");
  }
  if (!parse_arguments(lex, cmd.name, cmd.uid, cmd.args)) {
    return bad(tag, (cmd.uid ? "UID " : "") + word + ": " + lex.error());
  }
  return cmd;
}

}  // namespace hm::imap::proto
