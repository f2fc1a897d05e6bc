#include "pop3/command.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

namespace hm::pop3 {
namespace {

struct VerbName {
  std::string_view name;
  Verb verb;
};

constexpr std::array<VerbName, 15> kVerbs{{
    {"USER", Verb::kUser},
    {"PASS", Verb::kPass},
    {"APOP", Verb::kApop},
    {"AUTH", Verb::kAuth},
    {"STLS", Verb::kStls},
    {"CAPA", Verb::kCapa},
    {"QUIT", Verb::kQuit},
    {"STAT", Verb::kStat},
    {"LIST", Verb::kList},
    {"RETR", Verb::kRetr},
    {"DELE", Verb::kDele},
    {"NOOP", Verb::kNoop},
    {"RSET", Verb::kRset},
    {"TOP", Verb::kTop},
    {"UIDL", Verb::kUidl},
}};

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// The keyword as the client sent it, safe to echo: printable, at most 16.
std::string echo(std::string_view word) {
  std::string out;
  for (char c : word.substr(0, 16)) out += (c > 0x20 && c < 0x7f) ? c : '?';
  if (word.size() > 16) out += "...";
  return out;
}

std::vector<std::string_view> split(std::string_view rest) {
  // RFC 1939 separates arguments by one space; clients that send two (or
  // a trailing one) are forgiven.
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < rest.size()) {
    if (rest[i] == ' ') {
      ++i;
      continue;
    }
    const size_t end = rest.find(' ', i);
    const size_t stop = end == std::string_view::npos ? rest.size() : end;
    words.push_back(rest.substr(i, stop - i));
    i = stop;
  }
  return words;
}

// A decimal number of at most ten digits; nullopt for anything else.
std::optional<uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

std::optional<uint32_t> message_number(std::string_view s) {
  auto n = number(s);
  if (!n || *n == 0 || *n > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(*n);
}

}  // namespace

std::string_view to_string(Verb verb) {
  for (const VerbName& v : kVerbs) {
    if (v.verb == verb) return v.name;
  }
  return "?";
}

std::variant<Command, ParseError> parse_command(std::string_view line) {
  const size_t space = line.find(' ');
  const std::string_view keyword = line.substr(0, space);
  const std::string_view rest = space == std::string_view::npos ? "" : line.substr(space + 1);
  if (keyword.empty())
    return ParseError{"Empty command; send CAPA for the commands this server knows"};
  std::string key;
  for (char c : keyword.substr(0, 5)) key += upper(c);
  Command c;
  bool known = false;
  if (keyword.size() <= 4) {
    for (const VerbName& v : kVerbs) {
      if (v.name == key) {
        c.verb = v.verb;
        known = true;
        break;
      }
    }
  }
  if (!known) return ParseError{"Unknown command " + echo(keyword)};
  const std::vector<std::string_view> args = split(rest);
  auto syntax = [](std::string_view usage) { return ParseError{"Syntax: " + std::string(usage)}; };
  switch (c.verb) {
    case Verb::kUser:
      if (args.size() != 1) return syntax("USER <name>");
      c.text = std::string(args[0]);
      break;
    case Verb::kPass:
      // The password is the rest of the line: it may hold spaces.
      if (rest.empty()) return syntax("PASS <password>");
      c.text = std::string(rest);
      break;
    case Verb::kApop: break;  // not offered; the session says so
    case Verb::kAuth:
      if (args.size() > 2) return syntax("AUTH [<mechanism> [<initial response>]]");
      if (!args.empty()) {
        for (char ch : args[0]) c.text += upper(ch);
      }
      if (args.size() == 2) c.initial_response = std::string(args[1]);
      break;
    case Verb::kStls:
    case Verb::kCapa:
    case Verb::kQuit:
    case Verb::kStat:
    case Verb::kNoop:
    case Verb::kRset:
      if (!args.empty()) return syntax(std::string(to_string(c.verb)) + " takes no arguments");
      break;
    case Verb::kList:
    case Verb::kUidl:
      if (args.size() > 1) {
        return syntax(std::string(to_string(c.verb)) + " [<message number>]");
      }
      if (args.size() == 1) {
        c.message = message_number(args[0]);
        if (!c.message) return ParseError{"Invalid message number " + echo(args[0])};
      }
      break;
    case Verb::kRetr:
    case Verb::kDele:
      if (args.size() != 1) return syntax(std::string(to_string(c.verb)) + " <message number>");
      c.message = message_number(args[0]);
      if (!c.message) return ParseError{"Invalid message number " + echo(args[0])};
      break;
    case Verb::kTop: {
      if (args.size() != 2) return syntax("TOP <message number> <lines>");
      c.message = message_number(args[0]);
      if (!c.message) return ParseError{"Invalid message number " + echo(args[0])};
      auto lines = number(args[1]);
      if (!lines) return ParseError{"Invalid line count " + echo(args[1])};
      c.lines = static_cast<uint32_t>(std::min<uint64_t>(*lines, UINT32_MAX));
      break;
    }
  }
  return c;
}

}  // namespace hm::pop3
