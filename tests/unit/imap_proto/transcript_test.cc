// Transcript tests in the manner of Postfix's .in/.ref pairs (as
// tests/unit/smtp_proto/transcript_test.cc): each file
// tests/data/imap_proto/<name>.in holds what a client sends, one line per
// line, and <name>.ref what the reader and parser make of it. The bytes go
// through CommandReader (literals, limits) and then parse_command, as in a
// session. Setting HM_UPDATE_REF=1 rewrites the .ref files from the current
// behaviour (review the diff before keeping it).
//
// .in syntax: "\e" alone is an empty line; C escapes \r \n \t \0 \\ \xHH inside a line (so an IMAP
// system flag is written \\Seen); lines starting with "#" are comments;
// each line is sent followed by CRLF, or as "#! eol=lf|none|crlf" says.
// "#! max_line=N", "#! max_literal=N", "#! max_command=N" start a new reader
// with that limit; "#! chunk=N" feeds N bytes at a time (0 = a line at once);
// "#! plain" takes the next line as a plain line (an AUTHENTICATE response,
// IDLE's DONE), shown as "~ [line] done=yes|no".
// .ref: "> <line>" then, for each event, "+ continuation for N octets",
// "= <command>" or "< <response>".

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "escapes.h"
#include "imap/proto/command_parser.h"
#include "imap/proto/command_reader.h"
#include "render.h"
#include "transcripts.h"

namespace hm::imap::proto {
namespace {

using test_support::escape;
using test_support::unescape;

std::string response_line(const Response& r) {
  std::string text = format(r);
  text.resize(text.size() - 2);  // the CRLF
  return escape(text);
}

std::string run(std::istream& in) {
  std::ostringstream out;
  ReaderLimits limits;
  CommandReader reader(limits);
  size_t chunk = 0;
  bool plain = false;
  std::string eol = "\r\n";
  std::string raw;
  while (std::getline(in, raw)) {
    if (raw.rfind("#! ", 0) == 0) {
      out << raw << "\n";
      const std::string setting = raw.substr(3);
      const size_t eq = setting.find('=');
      const std::string key = setting.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : setting.substr(eq + 1);
      if (key == "plain") {
        reader.expect_plain_line();
        plain = true;
      } else if (key == "eol") {
        eol = value == "lf" ? "\n" : value == "none" ? "" : "\r\n";
      } else if (key == "chunk") {
        chunk = std::stoul(value);
      } else {
        if (key == "max_line") limits.max_line_length = std::stoul(value);
        if (key == "max_literal") limits.max_literal_size = std::stoull(value);
        if (key == "max_command") limits.max_command_size = std::stoul(value);
        reader = CommandReader(limits);
      }
      continue;
    }
    if (raw.empty() || raw[0] == '#') continue;
    out << "> " << raw << "\n";
    const std::string bytes = (raw == "\\e" ? "" : unescape(raw)) + eol;  // \e: empty line
    size_t pos = 0;
    while (pos < bytes.size()) {
      const size_t n = chunk == 0 ? bytes.size() - pos : std::min(chunk, bytes.size() - pos);
      std::string_view piece(bytes.data() + pos, n);
      while (!piece.empty()) {
        const auto step = reader.feed(piece);
        piece.remove_prefix(step.consumed);
        pos += step.consumed;
        switch (step.event) {
          case CommandReader::Event::kNeedMore: break;
          case CommandReader::Event::kContinuation:
            out << "+ continuation for " << reader.literal_size() << " octets\n";
            break;
          case CommandReader::Event::kError:
            out << "< " << response_line(reader.error()) << "\n";
            break;
          case CommandReader::Event::kCommand: {
            if (plain) {
              plain = false;
              out << "~ [" << escape(reader.command())
                  << "] done=" << (is_idle_done(reader.command()) ? "yes" : "no") << "\n";
              break;
            }
            auto result = parse_command(reader.command());
            if (auto* r = std::get_if<Response>(&result)) {
              out << "< " << response_line(*r) << "\n";
            } else {
              out << "= " << render(std::get<Command>(result)) << "\n";
            }
            break;
          }
        }
      }
    }
  }
  return out.str();
}

TEST(ImapTranscriptTest, TranscriptsMatchReferences) {
  test_support::check_transcripts(std::filesystem::path(HM_TEST_DATA_DIR) / "imap_proto", run);
}

}  // namespace
}  // namespace hm::imap::proto
