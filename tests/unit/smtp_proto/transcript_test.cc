// Transcript tests in the manner of Postfix's .in/.ref pairs: each file
// tests/data/smtp_proto/<name>.in holds command lines, one per line, and
// <name>.ref what the parser makes of each. Adding a case from a bug report
// is adding a line. Setting HM_UPDATE_REF=1 rewrites the .ref files from the
// current behaviour (review the diff before keeping it).
//
// .in syntax: C escapes \r \n \t \0 \\ \xHH inside a line; lines starting
// with "#" are comments; "#! smtputf8=on|off" sets ParseOptions for the
// lines after it. .ref: "> <line>" then "< <reply>" or "= <command>".

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "escapes.h"
#include "smtp/proto/command_parser.h"
#include "transcripts.h"

namespace hm::smtp::proto {
namespace {

using test_support::escape;
using test_support::unescape;

std::string_view verb_name(Verb v) {
  switch (v) {
    case Verb::kHelo: return "HELO";
    case Verb::kEhlo: return "EHLO";
    case Verb::kMail: return "MAIL";
    case Verb::kRcpt: return "RCPT";
    case Verb::kData: return "DATA";
    case Verb::kBdat: return "BDAT";
    case Verb::kRset: return "RSET";
    case Verb::kNoop: return "NOOP";
    case Verb::kQuit: return "QUIT";
    case Verb::kHelp: return "HELP";
    case Verb::kVrfy: return "VRFY";
    case Verb::kExpn: return "EXPN";
    case Verb::kStartTls: return "STARTTLS";
    case Verb::kAuth: return "AUTH";
  }
  return "?";
}

std::string render(const Command& c) {
  std::string out(verb_name(c.verb));
  if (!c.argument.empty()) out += " argument=[" + escape(c.argument) + "]";
  if (c.verb == Verb::kMail || c.verb == Verb::kRcpt) out += " path=<" + escape(c.path) + ">";
  for (const auto& [k, v] : c.params) out += " param " + escape(k) + "=[" + escape(v) + "]";
  if (c.size != 0) out += " size=" + std::to_string(c.size);
  if (c.verb == Verb::kBdat) {
    out += " chunk=" + std::to_string(c.chunk_size) + (c.last_chunk ? " LAST" : "");
  }
  return out;
}

std::string run(std::istream& in) {
  std::ostringstream out;
  ParseOptions options;
  std::string raw;
  while (std::getline(in, raw)) {
    if (raw.rfind("#! smtputf8=", 0) == 0) {
      options.smtputf8 = raw.substr(12) == "on";
      out << raw << "\n";
      continue;
    }
    if (raw.empty() || raw[0] == '#') continue;
    const std::string line = unescape(raw == "\\e" ? "" : raw);  // \e: the empty line
    out << "> " << raw << "\n";
    auto result = parse_command(line, options);
    if (auto* r = std::get_if<Reply>(&result)) {
      std::string text = format(*r);
      text.resize(text.size() - 2);  // the final CRLF
      out << "< " << escape(text) << "\n";
    } else {
      out << "= " << render(std::get<Command>(result)) << "\n";
    }
  }
  return out.str();
}

TEST(TranscriptTest, CommandTranscriptsMatchReferences) {
  test_support::check_transcripts(std::filesystem::path(HM_TEST_DATA_DIR) / "smtp_proto", run);
}

}  // namespace
}  // namespace hm::smtp::proto
