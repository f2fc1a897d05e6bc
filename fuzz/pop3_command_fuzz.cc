// libFuzzer target for the POP3 command parser (src/pop3/command.h). The
// input is split into lines as the connection would; every line goes
// through parse_command. Checked: an error's text is printable ASCII and
// short enough for one reply line; a command's message number is at least
// 1; PASS keeps the rest of the line; an AUTH mechanism is upper case.
// The normal build replays fuzz/corpus/pop3_command through this file.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "pop3/command.h"

namespace {

using namespace hm::pop3;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "pop3_command_fuzz: %s\n", what);
  std::abort();
}

void check(std::string_view line) {
  auto r = parse_command(line);
  if (auto* e = std::get_if<ParseError>(&r)) {
    if (e->text.empty() || e->text.size() > 200) die("error text empty or too long");
    for (char c : e->text) {
      if (c < 0x20 || c > 0x7e) die("error text not printable");
    }
    return;
  }
  const Command& c = std::get<Command>(r);
  if (c.message && *c.message == 0) die("message number 0");
  if (c.verb == Verb::kPass && line.substr(5) != c.text) die("PASS lost part of the line");
  if (c.verb == Verb::kAuth) {
    for (char ch : c.text) {
      if (ch >= 'a' && ch <= 'z') die("AUTH mechanism not upper case");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    const size_t end = in.find('\n');
    std::string_view line = in.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    check(line);
    if (end == std::string_view::npos) break;
    in.remove_prefix(end + 1);
  }
  return 0;
}
