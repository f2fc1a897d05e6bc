#pragma once
// SMTP commands (RFC 5321 section 4.1) as the parser yields them. No I/O.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hm::smtp::proto {

enum class Verb {
  kHelo,
  kEhlo,
  kMail,
  kRcpt,
  kData,
  kBdat,
  kRset,
  kNoop,
  kQuit,
  kHelp,
  kVrfy,
  kExpn,
  kStartTls,
  kAuth,
};

struct Command {
  Verb verb = Verb::kNoop;
  // HELO/EHLO: the client's domain or address literal. VRFY/EXPN/HELP/NOOP:
  // the raw argument. AUTH: the raw argument (mechanism and initial response).
  std::string argument;
  // MAIL: the reverse-path without brackets ("" for the null sender <>).
  // RCPT: the forward-path without brackets ("postmaster" allowed bare).
  std::string path;
  // MAIL/RCPT ESMTP parameters in the order sent, keyword upper-cased, value
  // as sent except BODY, whose value is upper-cased ("SIZE"->"1234",
  // "BODY"->"8BITMIME", "SMTPUTF8"->""). The parser accepts on MAIL only
  // SIZE, BODY=7BIT|8BITMIME, SMTPUTF8 and AUTH (RFC 4954 5); on RCPT none.
  std::vector<std::pair<std::string, std::string>> params;
  // MAIL: the SIZE= value (RFC 1870), 0 when absent; a value too large for
  // the type saturates to its maximum, which any limit rejects.
  unsigned long long size = 0;
  // BDAT: chunk size and whether LAST was given.
  unsigned long long chunk_size = 0;
  bool last_chunk = false;

  const std::string* param(std::string_view keyword) const {
    for (const auto& [k, v] : params) {
      if (k == keyword) return &v;
    }
    return nullptr;
  }
};

}  // namespace hm::smtp::proto
