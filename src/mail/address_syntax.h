#pragma once
// Mail addresses as text: the RFC 5321 Mailbox syntax (with RFC 6531 UTF-8)
// and the split at its "@". The one implementation that the SMTP command
// parser (which finds an address and judges it leniently, as Postfix does)
// and the directory (which stores one normal form and judges strictly)
// share; each decides its own tolerances through the parameters below.
//
// Syntax only: no normalisation, no IDN conversion, no policy (which domains
// exist, which addresses may be hosted). Pure functions, no I/O: thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

namespace hm::mail {

// The part after the last '@' ("" if none): "a@b.example" -> "b.example",
// "@b.example" -> "b.example". The last '@', because a quoted local part may
// hold one ("\"a@b\"@c.example") and a domain never does.
std::string_view domain_of(std::string_view address);
// The part before the last '@', or all of `address` if it has none (a bare
// local account name).
std::string_view local_part_of(std::string_view address);

// Length of the well-formed UTF-8 sequence (RFC 3629) at s[i], a byte of
// 0x80 or more: no overlong forms, no surrogates, nothing past U+10FFFF.
// 0 when there is none.
size_t utf8_sequence(std::string_view s, size_t i);
bool is_valid_utf8(std::string_view s);

// Where the local part of mailbox `m` ends: the index of the '@' before the
// domain. A quoted local part ends at its first unescaped closing quote,
// which the '@' must follow directly; otherwise it is the last '@'.
// npos when there is no such '@'.
size_t local_part_end(std::string_view m);

// A Dot-string local part (RFC 5321 4.1.2): atext, and well-formed UTF-8
// when `utf8`, in atoms separated by dots. It never starts with a dot; with
// `strict`, no atom is empty either ("a..b", "a." are refused), as RFC 5321
// says; without, those are tolerated, as Postfix does for addresses that
// exist in the wild.
bool is_dot_string(std::string_view s, bool utf8, bool strict);

// Why a Quoted-string local part (quotes included) is refused.
enum class QuotedError {
  kNone,
  kUnbalanced,         // it does not start and end with '"'
  kDanglingBackslash,  // a backslash would take the closing quote
  kBadEscape,          // a backslash before other than printable ASCII (quoted-pairSMTP)
  kBadCharacter,       // an unescaped quote, a control, or UTF-8 where none is allowed
};
// Checks a Quoted-string: qtextSMTP, quoted-pairSMTP, and well-formed UTF-8
// when `utf8` (RFC 6531). When it is valid and `content` is given, the text
// between the quotes with the escapes undone goes there.
QuotedError check_quoted_string(std::string_view s, bool utf8, std::string* content = nullptr);

// What a domain name may hold beyond LDH labels.
struct DomainSyntax {
  bool utf8 = false;        // U-labels (RFC 6531): well-formed UTF-8 in labels
  bool underscore = false;  // '_' (a tolerance for HELO names of Windows hosts)
  size_t max_length = 255;  // RFC 5321 4.5.3.1.2; 253 without the root's dot
};
// Why a domain name is refused.
enum class DomainError {
  kNone,
  kEmpty,
  kTooLong,       // more than max_length octets
  kEmptyLabel,    // "a..b", ".a", "a."
  kLongLabel,     // a label of more than 63 octets
  kHyphenAtEdge,  // a label that begins or ends with '-'
  kBadCharacter,  // anything else: `*bad` says which byte, when given
};
// sub-domain *("." sub-domain) (RFC 5321 4.1.2); an address literal is not a
// domain name (see the parser).
DomainError check_domain(std::string_view d, const DomainSyntax& syntax, char* bad = nullptr);

}  // namespace hm::mail
