#include "mime/params.h"

#include <algorithm>
#include <map>

#include "base/strings.h"
#include "mime/charset.h"
#include "mime/encoded_words.h"

namespace hm::mime {
namespace {

// Reads the text at `pos` as a token, quoted string or comment-free run and
// advances past it. Comments are skipped wherever blanks may stand.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool at_end() {
    skip_blanks();
    return pos_ >= s_.size();
  }
  bool take(char c) {
    skip_blanks();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void skip_blanks() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == ' ' || c == '\t') {
        ++pos_;
      } else if (c == '(') {
        skip_comment();
      } else {
        break;
      }
    }
  }
  // A token: anything up to a blank, ';', '=' or comment.
  std::string token() {
    skip_blanks();
    const size_t start = pos_;
    while (pos_ < s_.size() &&
           std::string_view(" \t;=(\"").find(s_[pos_]) == std::string_view::npos) {
      ++pos_;
    }
    return std::string(s_.substr(start, pos_ - start));
  }
  // A value: a quoted string, or a token (lenient: up to ';' or a blank).
  std::string value() {
    skip_blanks();
    if (pos_ < s_.size() && s_[pos_] == '"') {
      std::string out;
      ++pos_;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        out.push_back(s_[pos_++]);
      }
      if (pos_ < s_.size()) ++pos_;
      return out;
    }
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ';' && s_[pos_] != ' ' && s_[pos_] != '\t') ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  // Skips to just past the next ';' (or the end).
  void next_param() {
    while (pos_ < s_.size() && s_[pos_] != ';') {
      if (s_[pos_] == '"') {
        (void)value();
      } else {
        ++pos_;
      }
    }
    if (pos_ < s_.size()) ++pos_;
  }

 private:
  void skip_comment() {
    int depth = 0;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '\\' && pos_ < s_.size()) {
        ++pos_;
      } else if (c == '(') {
        ++depth;
      } else if (c == ')' && --depth == 0) {
        return;
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

struct Segment {
  bool extended;
  std::string value;
};

bool is_attribute_char(unsigned char c) {
  return c > 0x20 && c < 0x7F &&
         std::string_view("*'%()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) ==
             std::string_view::npos;
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (is_attribute_char(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(c | 0x20);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

FieldWithParams parse_field_with_params(std::string_view unfolded) {
  FieldWithParams out;
  Scanner scan(unfolded);
  // The value: everything before the first ';', comments and blanks dropped.
  {
    std::string v;
    while (!scan.at_end() && !scan.take(';')) {
      std::string t = scan.token();
      if (t.empty()) {
        if (scan.take('=')) {
          v.push_back('=');
        } else {
          v += scan.value();
        }
        continue;
      }
      v += t;
    }
    out.value = v;
  }
  // name -> (index -> segment); order of first appearance kept separately.
  std::vector<std::string> order;
  std::map<std::string, std::map<unsigned, Segment>> segments;
  while (!scan.at_end() && order.size() < kMaxParams) {
    std::string name = ascii_lower(scan.token());
    if (name.empty() || !scan.take('=')) {
      scan.next_param();
      continue;
    }
    std::string value = scan.value();
    scan.next_param();
    bool extended = false;
    unsigned index = 0;
    if (!name.empty() && name.back() == '*') {
      extended = true;
      name.pop_back();
    }
    if (size_t star = name.find('*'); star != std::string::npos) {
      std::string_view digits = std::string_view(name).substr(star + 1);
      if (digits.empty() || digits.size() > 3 ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        continue;
      }
      index = static_cast<unsigned>(std::stoul(std::string(digits)));
      name.resize(star);
    }
    if (name.empty()) continue;
    auto [it, fresh] = segments.try_emplace(name);
    if (fresh) order.push_back(name);
    it->second.try_emplace(index, Segment{extended, std::move(value)});
  }
  for (const auto& name : order) {
    const auto& parts = segments[name];
    // Continuations must run 0, 1, 2...; a gap ends the value.
    bool any_extended = false;
    unsigned expect = 0;
    for (const auto& [i, seg] : parts) {
      if (i != expect++) break;
      any_extended = any_extended || seg.extended;
    }
    std::string value;
    expect = 0;
    for (const auto& [i, seg] : parts) {
      if (i != expect++) break;
      value += any_extended && !seg.extended ? percent_encode(seg.value) : seg.value;
    }
    out.params.push_back({any_extended ? name + "*" : name, std::move(value)});
  }
  return out;
}

std::optional<std::string> param_utf8(const std::vector<Param>& params, std::string_view name) {
  for (const auto& p : params) {
    if (p.name.size() == name.size() + 1 && p.name.back() == '*' &&
        std::string_view(p.name).substr(0, name.size()) == name) {
      // charset'language'percent-encoded
      std::string_view v = p.value;
      std::string_view charset;
      size_t q1 = v.find('\'');
      size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
      if (q2 != std::string_view::npos) {
        charset = v.substr(0, q1);
        v.remove_prefix(q2 + 1);
      }
      std::string bytes;
      for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size() && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
          bytes.push_back(static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2])));
          i += 2;
        } else {
          bytes.push_back(v[i]);
        }
      }
      std::string out;
      append_utf8(charset, bytes, out);
      return out;
    }
    if (p.name == name) return decode_encoded_words(p.value);
  }
  return std::nullopt;
}

}  // namespace hm::mime
