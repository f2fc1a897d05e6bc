#pragma once
// The command parser's pieces for the largest argument grammars, each in its
// own file. Internal to hm_imap_proto.

#include "imap/proto/command.h"
#include "imap/proto/lexer.h"

namespace hm::imap::proto {

// FETCH's arguments after "FETCH ": sequence set, attributes, modifiers.
bool parse_fetch(Lexer& lex, bool uid, FetchArgs& out);

// SEARCH's arguments after "SEARCH ": [RETURN (...)] [CHARSET x] keys.
bool parse_search(Lexer& lex, SearchArgs& out);

// Nesting of SEARCH's NOT/OR/parentheses: deeper is refused (the recursion
// must stay bounded whatever a client sends).
constexpr int kMaxSearchDepth = 32;

}  // namespace hm::imap::proto
