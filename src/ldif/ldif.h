#pragma once
// LDIF (RFC 2849) reading and writing: text in, records out, and back. Pure
// syntax: this library knows nothing of mail or of the directory's schema;
// src/directory gives the records their meaning.
//
// What parse() accepts (liberal, since administrators write LDIF by hand and
// the seed article's files are themselves a little loose):
//   - an optional "version: 1" line at the start;
//   - "#" comment lines, with their folded continuations, anywhere;
//   - folded lines: a line starting with one space continues the previous
//     line (the space is dropped), also in the middle of a DN;
//   - LF or CRLF line ends, a UTF-8 byte order mark at the start;
//   - records separated by one or more blank lines; a line holding only
//     spaces or tabs counts as blank;
//   - "attr: value", "attr:: base64", "attr:" (an empty value); attribute
//     options ("cn;lang-en") stay part of the name;
//   - content records and change records ("changetype: add | modify |
//     delete | modrdn | moddn") mixed in one file; in a modify record each
//     "add:/delete:/replace: attr" section ends with "-", except that the
//     last one may end with the record.
// Not supported, with an error that says so: "attr:< URL" values, LDIF
// controls ("control:").
//
// Thread-safety: all functions are pure; call them from any thread.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::ldif {

struct Attribute {
  std::string name;   // as written, options included: "cn", "cn;lang-en"
  std::string value;  // raw bytes, base64 already decoded
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

enum class ChangeType {
  kAdd,  // "changetype: add", and also every plain content record
  kModify,
  kDelete,
  kModRdn,  // "modrdn" or "moddn"
};

struct Modification {
  enum class Op { kAdd, kDelete, kReplace };
  Op op = Op::kAdd;
  std::string attribute;
  std::vector<std::string> values;  // may be empty ("delete: attr" removes all values)
  friend bool operator==(const Modification&, const Modification&) = default;
};

struct Record {
  std::string dn;  // as written (unfolded, base64 decoded); see parse_dn() in dn.h
  ChangeType change = ChangeType::kAdd;
  // kAdd: the entry's attributes, in file order. kModRdn: "newrdn",
  // "deleteoldrdn" ("0" or "1") and, if given, "newsuperior", in that order.
  // kModify, kDelete: empty.
  std::vector<Attribute> attributes;
  std::vector<Modification> modifications;  // kModify only
  size_t line = 0;                          // 1-based line of the "dn:" line, for error messages

  // Every value of attribute `attr` (name compared ASCII case-insensitively,
  // options included), in file order.
  std::vector<std::string> values(std::string_view attr) const;
};

// Parses a whole LDIF text. Fails with ErrorKind::kInvalid and a message
// "line N: <what is wrong>" at the first error. Never crashes, whatever the
// input.
Result<std::vector<Record>> parse(std::string_view text);

// Writes records as LDIF that parse() reads back to the same records:
// "version: 1", then the records separated by blank lines, lines folded at 76
// columns, values base64-encoded ("::") when RFC 2849 requires it (leading
// space, ':' or '<', trailing space, bytes outside ASCII, NUL, CR, LF) or when
// folding would yield a line of only white space. If every record is kAdd the
// output is LDIF content (no changetype lines); otherwise every record carries
// its changetype. Only the fields that the record's change type uses (see
// Record) are written. Attribute names are written as given: they must be
// valid (letters, digits, '-', '.', ';', starting with a letter or digit), and
// not "dn" or "changetype".
std::string write(const std::vector<Record>& records);

}  // namespace hm::ldif
