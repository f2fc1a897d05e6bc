#include "ldif/dn.h"

#include "base/strings.h"

namespace hm::ldif {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' '; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Characters that RFC 4514 lets a backslash escape as themselves.
bool is_escapable(char c) {
  switch (c) {
    case ' ':
    case '"':
    case '#':
    case '+':
    case ',':
    case ';':
    case '<':
    case '=':
    case '>':
    case '\\': return true;
    default: return false;
  }
}

// keystring (ALPHA *(ALPHA / DIGIT / "-")) or numericoid (1.2.840...).
bool valid_attribute_type(std::string_view t) {
  if (t.empty()) return false;
  if (is_alpha(t[0])) {
    for (char c : t) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
    }
    return true;
  }
  bool digit_seen = false;
  for (char c : t) {
    if (is_digit(c)) {
      digit_seen = true;
    } else if (c == '.' && digit_seen) {
      digit_seen = false;
    } else {
      return false;
    }
  }
  return digit_seen;
}

class DnParser {
 public:
  explicit DnParser(std::string_view dn) : dn_(dn) {}

  Result<std::vector<Rdn>> run() {
    std::vector<Rdn> rdns;
    skip_spaces();
    if (pos_ == dn_.size()) return rdns;
    for (;;) {
      auto rdn = parse_rdn();
      if (!rdn) return fail(std::move(rdn).error());
      rdns.push_back(std::move(*rdn));
      skip_spaces();
      if (pos_ == dn_.size()) return rdns;
      if (dn_[pos_] == '+') {
        return error(
            "multi-valued RDNs ('+') are not supported; escape a literal plus sign as '\\+'");
      }
      if (dn_[pos_] != ',') return error("expected ',' between RDNs");
      ++pos_;
      skip_spaces();
      if (pos_ == dn_.size()) return error("the DN ends with ','; an RDN is missing");
    }
  }

 private:
  Result<Rdn> parse_rdn() {
    size_t start = pos_;
    while (pos_ < dn_.size() &&
           (is_alpha(dn_[pos_]) || is_digit(dn_[pos_]) || dn_[pos_] == '-' || dn_[pos_] == '.')) {
      ++pos_;
    }
    std::string_view type = dn_.substr(start, pos_ - start);
    if (type.empty()) return error("expected an attribute name such as 'o' or 'mail'");
    if (!valid_attribute_type(type)) {
      return error("'" + std::string(type) + "' is not a valid attribute name");
    }
    skip_spaces();
    if (pos_ == dn_.size() || dn_[pos_] != '=') {
      return error("expected '=' after '" + std::string(type) + "'");
    }
    ++pos_;
    skip_spaces();
    Rdn rdn;
    rdn.attribute = ascii_lower(type);
    if (pos_ < dn_.size() && dn_[pos_] == '#') {
      return error("hex-encoded (BER) values ('#...') are not supported; write the value as text");
    }
    Status s =
        pos_ < dn_.size() && dn_[pos_] == '"' ? parse_quoted(rdn.value) : parse_plain(rdn.value);
    if (!s) return fail(std::move(s).error());
    return rdn;
  }

  // RFC 2253's quoted form: everything up to the closing quote is literal,
  // escapes still apply.
  Status parse_quoted(std::string& out) {
    ++pos_;
    while (pos_ < dn_.size()) {
      char c = dn_[pos_];
      if (c == '"') {
        ++pos_;
        return ok();
      }
      if (c == '\\') {
        HM_TRY(parse_escape(out));
      } else {
        out += c;
        ++pos_;
      }
    }
    return error("a quoted value has no closing '\"'");
  }

  Status parse_plain(std::string& out) {
    // Unescaped spaces before ',' are padding, as in "o=hosting , dc=x";
    // escaped ones ("\ ") are data.
    size_t keep = 0;
    while (pos_ < dn_.size()) {
      char c = dn_[pos_];
      if (c == ',' || c == '+') break;
      if (c == '\\') {
        HM_TRY(parse_escape(out));
        keep = out.size();
      } else {
        out += c;
        ++pos_;
        if (!is_space(c)) keep = out.size();
      }
    }
    out.resize(keep);
    return ok();
  }

  Status parse_escape(std::string& out) {
    if (pos_ + 1 >= dn_.size()) return error("the DN ends with a lone '\\'");
    char c = dn_[pos_ + 1];
    int hi = hex_value(c);
    if (hi >= 0 && pos_ + 2 < dn_.size() && hex_value(dn_[pos_ + 2]) >= 0) {
      out += static_cast<char>(hi * 16 + hex_value(dn_[pos_ + 2]));
      pos_ += 3;
      return ok();
    }
    if (is_escapable(c)) {
      out += c;
      pos_ += 2;
      return ok();
    }
    return error(
        "invalid escape after '\\'; use '\\' before one of , + \" \\ < > ; # = or a "
        "space, or two hex digits");
  }

  void skip_spaces() {
    while (pos_ < dn_.size() && is_space(dn_[pos_])) ++pos_;
  }

  tl::unexpected<Error> error(std::string what) const {
    // The DN may be untrusted input of any size: quote a bounded piece of it.
    constexpr size_t kMaxQuoted = 120;
    std::string quoted(dn_.substr(0, kMaxQuoted));
    if (dn_.size() > kMaxQuoted) quoted += "...";
    return fail(ErrorKind::kInvalid, "invalid DN '" + quoted + "' at character " +
                                         std::to_string(pos_ + 1) + ": " + what);
  }

  std::string_view dn_;
  size_t pos_ = 0;
};

void append_escaped(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
      case '+':
      case ',':
      case ';':
      case '<':
      case '>':
      case '\\':
        out += '\\';
        out += c;
        continue;
      default: break;
    }
    if ((c == '#' && i == 0) || (c == ' ' && (i == 0 || i + 1 == value.size()))) {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += '\\';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
}

}  // namespace

Result<std::vector<Rdn>> parse_dn(std::string_view dn) { return DnParser(dn).run(); }

std::string format_dn(const std::vector<Rdn>& rdns) {
  std::string out;
  for (size_t i = 0; i < rdns.size(); ++i) {
    if (i > 0) out += ',';
    out += rdns[i].attribute;
    out += '=';
    append_escaped(out, rdns[i].value);
  }
  return out;
}

std::string normalize_dn(std::string_view dn) {
  auto rdns = parse_dn(dn);
  if (!rdns) return ascii_lower(dn);
  for (Rdn& rdn : *rdns) rdn.value = ascii_lower(rdn.value);
  return format_dn(*rdns);
}

}  // namespace hm::ldif
