#include "ldif/ldif.h"

#include <utility>

#include "base/base64.h"
#include "base/strings.h"

namespace hm::ldif {
namespace {

// RFC 2849 suggests folding so no line is longer than 76 characters.
constexpr size_t kFoldColumn = 76;

// One logical line: physical lines with their folds joined.
struct Line {
  std::string text;
  size_t number;  // of the first physical line
};

// One "name: value" line, decoded.
struct Field {
  std::string name;
  std::string value;
};

tl::unexpected<Error> error_at(size_t line, std::string what) {
  return fail(ErrorKind::kInvalid, "line " + std::to_string(line) + ": " + what);
}

// A short, printable piece of a line for error messages: the input may be
// long or binary.
std::string excerpt(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    out += (u < 0x20 || u == 0x7f) ? '?' : s[i];
  }
  if (s.size() > kMax) out += "...";
  return out;
}

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\t') return false;
  }
  return true;
}

bool valid_attribute_name(std::string_view name) {
  if (name.empty()) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != '.' && c != ';') return false;
  }
  return true;
}

// Joins folded lines, drops comments, and groups the lines into blocks
// separated by blank lines: one block per record (the first may hold only the
// version line).
Result<std::vector<std::vector<Line>>> unfold(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::vector<Line>> blocks;
  std::vector<Line> block;
  bool have_line = false;   // a logical line is open, so a continuation may follow
  bool in_comment = false;  // ... and it is a comment, whose continuations are dropped
  size_t number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (is_blank(line)) {
      if (!block.empty()) blocks.push_back(std::move(block));
      block.clear();
      have_line = false;
      in_comment = false;
      continue;
    }
    if (line[0] == ' ') {
      if (!have_line) {
        return error_at(number,
                        "a continuation line (starting with a space) follows no line to continue");
      }
      if (!in_comment) block.back().text.append(line.substr(1));
      continue;
    }
    have_line = true;
    in_comment = line[0] == '#';
    if (!in_comment) block.push_back(Line{std::string(line), number});
  }
  if (!block.empty()) blocks.push_back(std::move(block));
  return blocks;
}

Result<Field> parse_field(const Line& line) {
  const std::string_view text = line.text;
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return error_at(line.number, "missing ':' in '" + excerpt(text) +
                                     "'; every line of a record is 'attribute: value'");
  }
  Field f;
  f.name = text.substr(0, colon);
  if (!valid_attribute_name(f.name)) {
    return error_at(line.number, "'" + excerpt(f.name) +
                                     "' is not a valid attribute name (letters, digits, '-', "
                                     "';' for options)");
  }
  std::string_view rest = text.substr(colon + 1);
  if (!rest.empty() && rest[0] == ':') {
    rest = trim(rest.substr(1));
    auto decoded = base64_decode(rest);
    if (!decoded) {
      return error_at(line.number,
                      "invalid base64 in the value of '" + excerpt(f.name) + "' (after '::')");
    }
    f.value = std::move(*decoded);
    return f;
  }
  if (!rest.empty() && rest[0] == '<') {
    return error_at(line.number, "URL values are not supported ('" + excerpt(f.name) +
                                     ":<'); put the value in the file, base64-encoded after "
                                     "'::' if it is binary");
  }
  while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  f.value = rest;
  return f;
}

tl::unexpected<Error> second_dn(const Line& line, const Record& r) {
  return error_at(line.number, "a second 'dn:' inside the record that starts on line " +
                                   std::to_string(r.line) + "; separate records with a blank line");
}

Status parse_content(const std::vector<Line>& lines, size_t i, Record& r) {
  for (; i < lines.size(); ++i) {
    auto f = parse_field(lines[i]);
    if (!f) return fail(std::move(f).error());
    if (iequals(f->name, "dn")) return second_dn(lines[i], r);
    if (iequals(f->name, "changetype")) {
      return error_at(lines[i].number, "'changetype:' must come right after the 'dn:' line");
    }
    r.attributes.push_back(Attribute{std::move(f->name), std::move(f->value)});
  }
  return ok();
}

Status parse_modify(const std::vector<Line>& lines, size_t i, Record& r) {
  while (i < lines.size()) {
    const Line& op_line = lines[i];
    if (trim(op_line.text) == "-") {
      return error_at(op_line.number, "'-' with no modification before it");
    }
    auto op = parse_field(op_line);
    if (!op) return fail(std::move(op).error());
    if (iequals(op->name, "dn")) return second_dn(op_line, r);
    Modification m;
    if (iequals(op->name, "add")) {
      m.op = Modification::Op::kAdd;
    } else if (iequals(op->name, "delete")) {
      m.op = Modification::Op::kDelete;
    } else if (iequals(op->name, "replace")) {
      m.op = Modification::Op::kReplace;
    } else {
      return error_at(op_line.number,
                      "expected 'add:', 'delete:' or 'replace:' in a modify "
                      "record, found '" +
                          excerpt(op->name) + ":'");
    }
    m.attribute = trim(op->value);
    if (!valid_attribute_name(m.attribute)) {
      return error_at(op_line.number, "'" + excerpt(m.attribute) + "' after '" + op->name +
                                          ":' is not a valid attribute name");
    }
    // Values up to "-"; the last section may end with the record instead,
    // as in the seed article.
    for (++i; i < lines.size(); ++i) {
      if (trim(lines[i].text) == "-") {
        ++i;
        break;
      }
      auto f = parse_field(lines[i]);
      if (!f) return fail(std::move(f).error());
      if (iequals(f->name, "dn")) return second_dn(lines[i], r);
      if (!iequals(f->name, m.attribute)) {
        return error_at(lines[i].number, "expected a value of '" + excerpt(m.attribute) +
                                             "' or '-' to end the modification, found '" +
                                             excerpt(f->name) + ":'");
      }
      m.values.push_back(std::move(f->value));
    }
    r.modifications.push_back(std::move(m));
  }
  return ok();
}

Status parse_modrdn(const std::vector<Line>& lines, size_t i, Record& r) {
  // newrdn, deleteoldrdn and optionally newsuperior, in this order (RFC 2849).
  static constexpr std::string_view kNames[] = {"newrdn", "deleteoldrdn", "newsuperior"};
  for (size_t k = 0; k < 3; ++k) {
    if (i >= lines.size()) {
      if (k == 2) return ok();
      return error_at(r.line, "the modrdn record needs a '" + std::string(kNames[k]) + ":' line");
    }
    auto f = parse_field(lines[i]);
    if (!f) return fail(std::move(f).error());
    if (iequals(f->name, "dn")) return second_dn(lines[i], r);
    if (!iequals(f->name, kNames[k])) {
      return error_at(lines[i].number, "expected '" + std::string(kNames[k]) +
                                           ":' in the modrdn record, found '" + excerpt(f->name) +
                                           ":'");
    }
    if (k == 1) {
      f->value = trim(f->value);
      if (f->value != "0" && f->value != "1") {
        return error_at(lines[i].number, "'deleteoldrdn:' must be 0 or 1");
      }
    }
    r.attributes.push_back(Attribute{std::string(kNames[k]), std::move(f->value)});
    ++i;
  }
  if (i < lines.size()) {
    return error_at(lines[i].number,
                    "unexpected line '" + excerpt(lines[i].text) + "' in the modrdn record");
  }
  return ok();
}

Result<Record> parse_record(const std::vector<Line>& lines, size_t i) {
  auto dn = parse_field(lines[i]);
  if (!dn) return fail(std::move(dn).error());
  if (!iequals(dn->name, "dn")) {
    return error_at(lines[i].number,
                    "a record must start with 'dn:', found '" + excerpt(dn->name) + ":'");
  }
  Record r;
  r.dn = std::move(dn->value);
  r.line = lines[i].number;
  ++i;
  if (i < lines.size()) {
    auto f = parse_field(lines[i]);
    if (!f) return fail(std::move(f).error());
    if (iequals(f->name, "control")) {
      return error_at(lines[i].number, "LDIF controls ('control:') are not supported");
    }
    if (iequals(f->name, "changetype")) {
      const std::string_view type = trim(f->value);
      if (iequals(type, "add")) {
        r.change = ChangeType::kAdd;
      } else if (iequals(type, "modify")) {
        r.change = ChangeType::kModify;
      } else if (iequals(type, "delete")) {
        r.change = ChangeType::kDelete;
      } else if (iequals(type, "modrdn") || iequals(type, "moddn")) {
        r.change = ChangeType::kModRdn;
      } else {
        return error_at(lines[i].number, "unknown changetype '" + excerpt(type) +
                                             "'; expected add, modify, delete, modrdn or moddn");
      }
      ++i;
    }
  }
  Status s;
  switch (r.change) {
    case ChangeType::kAdd: s = parse_content(lines, i, r); break;
    case ChangeType::kModify: s = parse_modify(lines, i, r); break;
    case ChangeType::kModRdn: s = parse_modrdn(lines, i, r); break;
    case ChangeType::kDelete:
      if (i < lines.size()) {
        return error_at(lines[i].number, "a 'changetype: delete' record takes no further lines");
      }
      break;
  }
  if (!s) return fail(std::move(s).error());
  return r;
}

// SAFE-STRING of RFC 2849: what may follow "attr: " without base64.
bool is_safe(std::string_view v) {
  if (v.empty()) return true;
  if (v.front() == ' ' || v.front() == ':' || v.front() == '<' || v.back() == ' ') return false;
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0 || c == '\n' || c == '\r' || u >= 0x80) return false;
  }
  return true;
}

// Appends `line` folded at kFoldColumn. Fails (appending nothing) when a
// continuation would hold only white space, which parse() reads as a record
// separator.
bool append_folded(std::string& out, std::string_view line) {
  std::string folded(line.substr(0, kFoldColumn));
  folded += '\n';
  for (size_t pos = kFoldColumn; pos < line.size(); pos += kFoldColumn - 1) {
    std::string_view chunk = line.substr(pos, kFoldColumn - 1);
    if (is_blank(chunk)) return false;
    folded += ' ';
    folded += chunk;
    folded += '\n';
  }
  out += folded;
  return true;
}

void write_line(std::string& out, std::string_view name, std::string_view value) {
  if (is_safe(value)) {
    std::string line(name);
    line += ':';
    if (!value.empty()) {
      line += ' ';
      line += value;
    }
    if (append_folded(out, line)) return;
  }
  std::string line(name);
  line += ":: ";
  line += base64_encode(value);
  append_folded(out, line);  // base64 has no white space, so this cannot fail
}

std::string_view changetype_name(ChangeType c) {
  switch (c) {
    case ChangeType::kAdd: return "add";
    case ChangeType::kModify: return "modify";
    case ChangeType::kDelete: return "delete";
    case ChangeType::kModRdn: return "modrdn";
  }
  return "add";
}

std::string_view op_name(Modification::Op op) {
  switch (op) {
    case Modification::Op::kAdd: return "add";
    case Modification::Op::kDelete: return "delete";
    case Modification::Op::kReplace: return "replace";
  }
  return "add";
}

// Whether plain content records would be misread: a first attribute named
// like a change-record keyword.
bool needs_changetype(const Record& r) {
  if (r.change != ChangeType::kAdd) return true;
  return !r.attributes.empty() &&
         (iequals(r.attributes[0].name, "changetype") || iequals(r.attributes[0].name, "control"));
}

}  // namespace

std::vector<std::string> Record::values(std::string_view attr) const {
  std::vector<std::string> out;
  for (const Attribute& a : attributes) {
    if (iequals(a.name, attr)) out.push_back(a.value);
  }
  return out;
}

Result<std::vector<Record>> parse(std::string_view text) {
  auto blocks = unfold(text);
  if (!blocks) return fail(std::move(blocks).error());
  std::vector<Record> records;
  for (size_t b = 0; b < blocks->size(); ++b) {
    const std::vector<Line>& lines = (*blocks)[b];
    size_t i = 0;
    if (b == 0) {
      auto first = parse_field(lines[0]);
      if (first && iequals(first->name, "version")) {
        if (trim(first->value) != "1") {
          return error_at(lines[0].number, "unsupported LDIF version '" + excerpt(first->value) +
                                               "'; only 'version: 1' is defined");
        }
        i = 1;
      }
    }
    if (i == lines.size()) continue;
    auto record = parse_record(lines, i);
    if (!record) return fail(std::move(record).error());
    records.push_back(std::move(*record));
  }
  return records;
}

std::string write(const std::vector<Record>& records) {
  bool changes = false;
  for (const Record& r : records) changes = changes || needs_changetype(r);
  std::string out = "version: 1\n";
  for (const Record& r : records) {
    out += '\n';
    write_line(out, "dn", r.dn);
    if (changes) write_line(out, "changetype", changetype_name(r.change));
    if (r.change == ChangeType::kAdd || r.change == ChangeType::kModRdn) {
      for (const Attribute& a : r.attributes) write_line(out, a.name, a.value);
    }
    if (r.change == ChangeType::kModify) {
      for (const Modification& m : r.modifications) {
        write_line(out, op_name(m.op), m.attribute);
        for (const std::string& v : m.values) write_line(out, m.attribute, v);
        out += "-\n";
      }
    }
  }
  return out;
}

}  // namespace hm::ldif
