// libFuzzer target for the IMAP command reader and parser (src/imap/proto).
// The input is a byte stream from a client; it goes through CommandReader
// twice, whole and in small pieces (the split comes from the first byte),
// and every command it frames through parse_command. Checked: both feedings
// give the same events; the reader never holds more than its limits allow;
// a response is one CRLF-terminated line starting with a tag or "*"; a
// parsed command's mailbox names are valid UTF-8 that encode back to
// modified UTF-7 and decode to themselves; LOGIN's strings written back by
// the response writer's quoting parse to the same strings.
// The normal build replays fuzz/corpus/imap_command through this file.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap/proto/command_parser.h"
#include "imap/proto/command_reader.h"
#include "imap/proto/mutf7.h"

namespace {

using namespace hm::imap::proto;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "imap_command_fuzz: %s\n", what);
  std::abort();
}

void check_response(const Response& r) {
  const std::string wire = format(r);
  if (wire.size() < 2 || wire.substr(wire.size() - 2) != "\r\n")
    die("response not CRLF-terminated");
  if (wire.find_first_of(std::string_view("\r\n\0", 3)) != wire.size() - 2) {
    die("CR, LF or NUL inside a response line");
  }
  if (r.status != Status::kBad && r.status != Status::kNo) die("error that is not BAD or NO");
  if (r.text.empty()) die("error without text");
}

void check_mailbox(const std::string& name) {
  if (name == "INBOX") return;
  const auto encoded = mutf7_encode(name);
  if (!encoded) die("parsed mailbox name is not valid UTF-8");
  const auto decoded = mutf7_decode(*encoded);
  if (!decoded || *decoded != name) die("mailbox name does not round-trip");
}

// What the writer quotes, the parser reads back as it was.
void check_round_trip(const std::string& user, const std::string& password) {
  std::string line = "t LOGIN ";
  append_astring(line, user);
  line += ' ';
  append_string(line, password);
  const auto parsed = parse_command(line);
  const auto* c = std::get_if<Command>(&parsed);
  if (c == nullptr) die("a written astring/string does not parse");
  const auto& a = std::get<LoginArgs>(c->args);
  if (a.user != user || a.password != password) die("a written string reads back differently");
}

std::string summarize(const Command& c) {
  std::string out = c.tag + " " + std::string(to_string(c.name)) + (c.uid ? " uid" : "");
  if (const auto* m = std::get_if<MailboxArgs>(&c.args)) {
    check_mailbox(m->mailbox);
    out += " " + m->mailbox;
  }
  if (const auto* m = std::get_if<RenameArgs>(&c.args)) {
    check_mailbox(m->from);
    check_mailbox(m->to);
  }
  if (const auto* m = std::get_if<CopyArgs>(&c.args)) check_mailbox(m->mailbox);
  if (const auto* l = std::get_if<LoginArgs>(&c.args)) check_round_trip(l->user, l->password);
  if (const auto* m = std::get_if<AppendArgs>(&c.args)) {
    check_mailbox(m->mailbox);
    if (m->messages.empty()) die("APPEND without a message");
  }
  if (const auto* s = std::get_if<FetchArgs>(&c.args)) {
    if (s->atts.empty()) die("FETCH without attributes");
    if (s->vanished && (!c.uid || !s->changed_since)) die("VANISHED accepted where not allowed");
  }
  return out;
}

std::vector<std::string> run(std::string_view input, size_t piece, const ReaderLimits& limits) {
  CommandReader reader(limits);
  std::vector<std::string> events;
  size_t pos = 0;
  while (pos < input.size()) {
    std::string_view chunk = input.substr(pos, piece == 0 ? input.size() : piece);
    pos += chunk.size();
    while (!chunk.empty()) {
      const auto step = reader.feed(chunk);
      if (step.consumed > chunk.size()) die("consumed more than fed");
      if (step.consumed == 0 && step.event == CommandReader::Event::kNeedMore) die("no progress");
      chunk.remove_prefix(step.consumed);
      if (reader.buffered() > limits.max_command_size) die("buffered over the command limit");
      switch (step.event) {
        case CommandReader::Event::kNeedMore: break;
        case CommandReader::Event::kContinuation:
          if (reader.literal_size() > limits.max_literal_size) die("continuation over the limit");
          events.push_back("+" + std::to_string(reader.literal_size()));
          break;
        case CommandReader::Event::kError:
          check_response(reader.error());
          events.push_back("!" + format(reader.error()));
          break;
        case CommandReader::Event::kCommand: {
          const auto parsed = parse_command(reader.command());
          if (const auto* r = std::get_if<Response>(&parsed)) {
            check_response(*r);
            events.push_back("<" + format(*r));
          } else {
            events.push_back("=" + summarize(std::get<Command>(parsed)));
          }
          break;
        }
      }
    }
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ReaderLimits limits;
  limits.max_line_length = 64 + data[0] % 64;
  limits.max_literal_size = 256;
  limits.max_command_size = 1024;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t piece = 1 + data[0] % 7;
  if (run(input, 0, limits) != run(input, piece, limits)) die("result depends on how bytes arrive");
  // The parser alone, on the raw input as one command.
  const auto parsed = parse_command(input);
  if (const auto* r = std::get_if<Response>(&parsed)) check_response(*r);
  if (const auto* c = std::get_if<Command>(&parsed)) summarize(*c);
  return 0;
}
