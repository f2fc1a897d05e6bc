#pragma once
// The tokens of an IMAP command (RFC 3501 9) over one whole framed command
// (CommandReader::command()): atoms, numbers, quoted strings and literals.
// Internal to the parser, shared by its files. Every method that fails
// records the first error's text, which becomes the BAD response's text.

#include <cstdint>
#include <string>
#include <string_view>

#include "imap/proto/sequence_set.h"

namespace hm::imap::proto {

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  bool consume(char c);
  // Case-insensitive keyword followed by something that is not an atom
  // character; consumed only when it matches.
  bool keyword(std::string_view word);

  // Exactly one SP; `after` names what came before, for the error text.
  bool space(std::string_view after);
  bool expect(char c, std::string_view what);
  bool expect_end();

  // 1*ATOM-CHAR. "" (and no error) when there is none.
  std::string_view atom();
  // 1*ATOM-CHAR including "]" (ASTRING-CHAR), as an astring's atom form.
  std::string_view astring_atom();
  // A list-mailbox atom: ASTRING-CHAR plus "%" and "*".
  std::string_view list_atom();

  // quoted / literal. `binary_ok` also accepts literal8 "~{n}", reported in
  // `binary`.
  bool string(std::string& out, std::string_view what);
  bool string8(std::string& out, bool& binary, std::string_view what);
  bool astring(std::string& out, std::string_view what);
  bool nstring(std::string& out, bool& nil, std::string_view what);

  bool number(uint32_t& out, std::string_view what);     // 32 bits
  bool nz_number(uint32_t& out, std::string_view what);  // 1..2^32-1
  bool number64(uint64_t& out, std::string_view what);   // up to 2^63-1 (mod-sequence-value)
  bool sequence_set(SequenceSet& out, std::string_view what);

  // date = date-text / DQUOTE date-text DQUOTE; days since 1970-01-01.
  bool date(int32_t& days, std::string_view what);
  // date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE,
  // as seconds since the epoch (UTC).
  bool date_time(int64_t& seconds, std::string_view what);
  // flag: "\" atom or atom (keyword); `allow_recent` for SEARCH-less uses.
  bool flag(std::string& out, std::string_view what);

  bool fail(std::string text);
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  size_t position() const { return pos_; }

  // What follows, for error texts: at most a few characters, printable.
  std::string near() const;

 private:
  bool literal(std::string& out, std::string_view what);

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

// ATOM-CHAR: any CHAR except atom-specials ( ) { SP CTL % * " \ ] (RFC 3501 9).
bool is_atom_char(unsigned char c);
int32_t days_from_civil(int64_t y, unsigned m, unsigned d);
std::string upper(std::string_view s);

}  // namespace hm::imap::proto
