#include "imap/message/flag_names.h"

#include <algorithm>

#include "base/strings.h"
#include "imap/proto/lexer.h"

namespace hm::imap {
namespace {

struct SystemFlag {
  uint8_t bit;
  std::string_view name;
};

// RFC 3501's order, which is also the order clients are used to seeing.
constexpr SystemFlag kSystemFlags[] = {
    {store::kFlagAnswered, "\\Answered"}, {store::kFlagFlagged, "\\Flagged"},
    {store::kFlagDeleted, "\\Deleted"},   {store::kFlagSeen, "\\Seen"},
    {store::kFlagDraft, "\\Draft"},
};

void append_item(std::string& out, std::string_view item) {
  if (out.size() > 1) out += ' ';
  out += item;
}

}  // namespace

uint8_t system_flag(std::string_view name) {
  for (const auto& f : kSystemFlags) {
    if (iequals(name, f.name)) return f.bit;
  }
  return 0;
}

std::string format_flags(const store::MessageMeta& m, const std::vector<std::string>& keywords) {
  std::string out = "(";
  for (const auto& f : kSystemFlags) {
    if (m.flags & f.bit) append_item(out, f.name);
  }
  if (m.recent) append_item(out, "\\Recent");
  for (size_t i = 0; i < keywords.size() && i < 32; ++i) {
    if (m.keywords & (store::KeywordMask{1} << i)) append_item(out, keywords[i]);
  }
  out += ')';
  return out;
}

std::string format_flag_list(const std::vector<std::string>& keywords, bool permanent) {
  std::string out = "(";
  for (const auto& f : kSystemFlags) append_item(out, f.name);
  for (const auto& k : keywords) append_item(out, k);
  if (permanent) append_item(out, "\\*");
  out += ')';
  return out;
}

Result<ParsedFlags> parse_flags(const std::vector<std::string>& names) {
  ParsedFlags parsed;
  for (const std::string& name : names) {
    if (!name.empty() && name[0] == '\\') {
      if (iequals(name, "\\Recent")) {
        return fail(ErrorKind::kInvalid, "\\Recent is set by the server only; it cannot be stored");
      }
      const uint8_t bit = system_flag(name);
      if (bit == 0) {
        return fail(ErrorKind::kInvalid,
                    "Unknown system flag " + name.substr(0, 40) +
                        " (expected \\Seen, \\Answered, \\Flagged, \\Deleted or \\Draft)");
      }
      parsed.flags |= bit;
      continue;
    }
    const bool atom = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return proto::is_atom_char(static_cast<unsigned char>(c));
    });
    if (!atom) {
      return fail(ErrorKind::kInvalid, "Invalid keyword \"" + name.substr(0, 40) +
                                           "\": a keyword must be an atom (no spaces, "
                                           "parentheses, quotes, wildcards or 8-bit characters)");
    }
    if (name.size() > kMaxKeywordLength) {
      return fail(ErrorKind::kInvalid, "Keyword too long (at most " +
                                           std::to_string(kMaxKeywordLength) + " characters)");
    }
    if (std::find(parsed.keywords.begin(), parsed.keywords.end(), name) == parsed.keywords.end()) {
      parsed.keywords.push_back(name);
    }
  }
  return parsed;
}

}  // namespace hm::imap
