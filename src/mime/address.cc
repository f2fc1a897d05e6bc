#include "mime/address.h"

#include <optional>

#include "base/strings.h"

namespace hm::mime {
namespace {

struct Token {
  enum class Kind { kWord, kQuoted, kLiteral, kSpecial };
  Kind kind;
  std::string text;     // unquoted for kQuoted; "[...]" for kLiteral; the char for kSpecial
  bool blank_before;    // blank or comment before it (joins phrase words with a space)
  std::string comment;  // the last comment just before it, if any
};

constexpr std::string_view kSpecials = "()<>@,;:\\\".[]";

std::vector<Token> tokenize(std::string_view s, std::string& trailing_comment) {
  std::vector<Token> out;
  size_t i = 0;
  bool blank = false;
  std::string comment;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      blank = true;
      ++i;
    } else if (c == '(') {
      int depth = 0;
      std::string text;
      while (i < s.size()) {
        const char d = s[i++];
        if (d == '\\' && i < s.size()) {
          text.push_back(s[i++]);
          continue;
        }
        if (d == '(' && depth++ == 0) continue;
        if (d == ')' && --depth == 0) break;
        text.push_back(d);
      }
      comment = std::string(trim(text));
      blank = true;
    } else if (c == '"') {
      std::string text;
      ++i;
      while (i < s.size() && s[i] != '"') {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        text.push_back(s[i++]);
      }
      if (i < s.size()) ++i;
      out.push_back({Token::Kind::kQuoted, std::move(text), blank, std::move(comment)});
      blank = false;
      comment.clear();
    } else if (c == '[') {
      const size_t end = s.find(']', i);
      const size_t stop = end == std::string_view::npos ? s.size() : end + 1;
      out.push_back(
          {Token::Kind::kLiteral, std::string(s.substr(i, stop - i)), blank, std::move(comment)});
      i = stop;
      blank = false;
      comment.clear();
    } else if (kSpecials.find(c) != std::string_view::npos) {
      out.push_back({Token::Kind::kSpecial, std::string(1, c), blank, std::move(comment)});
      ++i;
      blank = false;
      comment.clear();
    } else {
      const size_t start = i;
      while (i < s.size() && kSpecials.find(s[i]) == std::string_view::npos && s[i] != ' ' &&
             s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
        ++i;
      }
      out.push_back(
          {Token::Kind::kWord, std::string(s.substr(start, i - start)), blank, std::move(comment)});
      blank = false;
      comment.clear();
    }
  }
  trailing_comment = std::move(comment);
  return out;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::string trailing_comment, size_t max)
      : t_(std::move(tokens)), trailing_comment_(std::move(trailing_comment)), max_(max) {}

  std::vector<Address> run() {
    while (i_ < t_.size() && out_.size() < max_) {
      if (special(',') || special(';')) {
        ++i_;
        continue;
      }
      const size_t before = i_;
      address(false);
      if (i_ == before) ++i_;  // never stall on a token nothing wants
    }
    return std::move(out_);
  }

 private:
  bool special(char c) const {
    return i_ < t_.size() && t_[i_].kind == Token::Kind::kSpecial && t_[i_].text[0] == c;
  }
  bool at_end() const { return i_ >= t_.size(); }

  // Words (atoms, quoted strings, dots) up to a special other than '.'.
  std::string phrase(std::string& comment) {
    std::string out;
    while (!at_end()) {
      const Token& tok = t_[i_];
      if (tok.kind == Token::Kind::kSpecial && tok.text[0] != '.') break;
      if (!tok.comment.empty() && comment.empty()) comment = tok.comment;
      if (!out.empty() && tok.blank_before) out.push_back(' ');
      out += tok.text;
      ++i_;
    }
    return out;
  }

  // Words and dots joined as written, quoted text unquoted, up to a special
  // other than '.': a local part or a domain.
  std::string joined_words() {
    std::string out;
    while (!at_end()) {
      const Token& tok = t_[i_];
      if (tok.kind == Token::Kind::kSpecial && tok.text[0] != '.') break;
      out += tok.text;
      ++i_;
    }
    return out;
  }

  void emit(std::string name, std::string route, std::string local, std::string host) {
    if (out_.size() >= max_) return;
    Address a;
    a.name = std::move(name);
    a.route = std::move(route);
    a.mailbox = local.empty() ? "MISSING_MAILBOX" : std::move(local);
    a.host = host.empty() ? "MISSING_DOMAIN" : std::move(host);
    out_.push_back(std::move(a));
  }

  // One mailbox or group at i_.
  void address(bool inside_group) {
    const size_t start = i_;
    std::string comment;
    std::string words = phrase(comment);
    if (special(':') && !inside_group) {
      ++i_;
      Address g;
      g.kind = Address::Kind::kGroupStart;
      g.name = words;
      out_.push_back(std::move(g));
      while (!at_end() && !special(';') && out_.size() < max_) {
        if (special(',')) {
          ++i_;
          continue;
        }
        const size_t before = i_;
        address(true);
        if (i_ == before) ++i_;
      }
      if (special(';')) ++i_;
      // Always closed, so a cut list stays well formed (at most max + 1).
      out_.push_back(Address{Address::Kind::kGroupEnd, {}, {}, {}, {}});
      return;
    }
    if (special('<')) {
      ++i_;
      std::string route;
      // obs-route: "@a,@b:" before the address.
      if (special('@')) {
        const size_t save = i_;
        std::string r;
        while (special('@') || special(',')) {
          r += t_[i_].text;
          ++i_;
          if (t_[i_ - 1].text[0] == '@') r += joined_words();
        }
        if (special(':')) {
          ++i_;
          route = r;
        } else {
          i_ = save;
        }
      }
      std::string local = joined_words();
      std::string host;
      if (special('@')) {
        ++i_;
        host = joined_words();
      }
      while (!at_end() && !special('>') && !special(',')) ++i_;
      if (special('>')) ++i_;
      std::string name = words;
      // Whatever follows '>' up to ',' is junk; a comment there may name.
      std::string junk_comment;
      (void)phrase(junk_comment);
      if (name.empty()) name = !comment.empty() ? comment : junk_comment;
      if (name.empty() && at_end()) name = trailing_comment_;
      emit(std::move(name), std::move(route), std::move(local), std::move(host));
      return;
    }
    // addr-spec: the words read were its local part; read them again as one.
    i_ = start;
    std::string local = joined_words();
    std::string host;
    if (special('@')) {
      ++i_;
      host = joined_words();
    }
    std::string name = comment;
    if (name.empty() && i_ < t_.size()) name = t_[i_].comment;
    if (name.empty() && at_end()) name = trailing_comment_;
    if (local.empty() && host.empty()) return;
    emit(std::move(name), {}, std::move(local), std::move(host));
  }

  std::vector<Token> t_;
  std::string trailing_comment_;
  size_t max_;
  size_t i_ = 0;
  std::vector<Address> out_;
};

}  // namespace

std::vector<Address> parse_address_list(std::string_view unfolded, size_t max_addresses) {
  std::string trailing;
  auto tokens = tokenize(unfolded, trailing);
  return Parser(std::move(tokens), std::move(trailing), max_addresses).run();
}

}  // namespace hm::mime
