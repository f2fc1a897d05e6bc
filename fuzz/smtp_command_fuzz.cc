// libFuzzer target for the SMTP command parser (src/smtp/proto): any line is
// either a Command or a one-line error reply with a 5xx code, an enhanced
// code and a text; a line accepted without SMTPUTF8 is accepted the same way
// with it; the formatted reply is one CRLF-terminated line.
// The normal build replays fuzz/corpus/smtp_command through this file.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "smtp/proto/command_parser.h"

namespace {

using hm::smtp::proto::Command;
using hm::smtp::proto::ParseOptions;
using hm::smtp::proto::Reply;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "smtp_command_fuzz: %s\n", what);
  std::abort();
}

bool same(const Command& a, const Command& b) {
  return a.verb == b.verb && a.argument == b.argument && a.path == b.path && a.params == b.params &&
         a.size == b.size && a.chunk_size == b.chunk_size && a.last_chunk == b.last_chunk;
}

void check_reply(const Reply& r) {
  if (r.code != 500 && r.code != 501 && r.code != 553 && r.code != 555) die("unexpected code");
  if (r.enhanced.size() != 5 || r.enhanced[0] != '5') die("bad enhanced code");
  if (r.lines.size() != 1 || r.lines[0].empty()) die("error reply without one line of text");
  const std::string wire = hm::smtp::proto::format(r);
  if (wire.size() < 2 || wire.substr(wire.size() - 2) != "\r\n") die("reply not CRLF-terminated");
  if (wire.find_first_of("\r\n") != wire.size() - 2) die("CR or LF inside a reply line");
}

void check_command(const Command& c, std::string_view line) {
  if (c.path.size() > 254) die("path over 256 octets accepted");
  if (c.path.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    die("control in path");
  for (const std::string* s : {&c.path, &c.argument}) {
    // NEL and the other C1 controls, U+2028, U+2029: never let through.
    if (s->find("\xc2\x85") != std::string::npos || s->find("\xe2\x80\xa8") != std::string::npos ||
        s->find("\xe2\x80\xa9") != std::string::npos)
      die("UTF-8 control or line separator accepted");
  }
  if (c.argument.size() > line.size() || c.path.size() > line.size())
    die("output larger than input");
  if (c.verb == hm::smtp::proto::Verb::kRcpt && c.path.empty()) die("RCPT with an empty path");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  ParseOptions utf8;
  ParseOptions ascii;
  ascii.smtputf8 = false;
  const auto with = hm::smtp::proto::parse_command(line, utf8);
  const auto without = hm::smtp::proto::parse_command(line, ascii);
  if (const auto* r = std::get_if<Reply>(&with)) check_reply(*r);
  if (const auto* c = std::get_if<Command>(&with)) check_command(*c, line);
  if (const auto* r = std::get_if<Reply>(&without)) check_reply(*r);
  if (const auto* c = std::get_if<Command>(&without)) {
    check_command(*c, line);
    const auto* c2 = std::get_if<Command>(&with);
    if (c2 == nullptr) die("accepted without SMTPUTF8 but rejected with it");
    if (!same(*c, *c2)) die("SMTPUTF8 changed how an ASCII command parses");
  }
  return 0;
}
