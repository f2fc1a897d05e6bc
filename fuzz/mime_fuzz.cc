// libFuzzer target for the MIME parser (src/mime): messages come from anyone
// who can send mail, and IMAP clients ask for every part of them.
//
// Properties: parsing and writing ENVELOPE/BODYSTRUCTURE never crash; every
// part's header and body lie inside the message and in order; CRLF sizes are
// at least the stored sizes; every part number the tree has resolves; and
// the same message with CRLF line ends gives the same BODYSTRUCTURE and CRLF
// offsets equal to its own offsets (sizes do not depend on how it is stored).
// The decoders (encoded words, RFC 2231 parameters) run on every header.
// The normal build replays fuzz/corpus/mime (replay_main.cc).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/line_ends.h"
#include "mime/bodystructure.h"
#include "mime/encoded_words.h"
#include "mime/envelope.h"
#include "mime/header.h"
#include "mime/message.h"
#include "mime/transfer.h"

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "mime_fuzz: %s\n", what);
  std::abort();
}

// Small limits, so the fuzzer reaches them.
constexpr hm::mime::Limits kLimits{.max_depth = 6, .max_parts = 40, .max_header_bytes = 4096};

// `path` is p's part number, empty when p has none of its own (the root
// multipart, and the multipart message inside a message/rfc822 part).
void check_spans(const hm::mime::Message& m, const hm::mime::Part& p) {
  if (p.header.offset + p.header.size != p.body.offset) die("header and body not adjacent");
  if (p.body.offset + p.body.size > m.text().size()) die("a body past the end");
  if (p.header.crlf_size < p.header.size || p.body.crlf_size < p.body.size)
    die("CRLF size too small");
}

void check_part(const hm::mime::Message& m, const hm::mime::Part& p, std::vector<uint32_t>& path) {
  check_spans(m, p);
  if (!path.empty() && m.find(path) != &p) die("a part number does not resolve");
  if (p.is_message_rfc822()) {
    if (p.children.size() != 1) die("message/rfc822 without its message");
    const auto& inner = p.children[0];
    if (inner.is_multipart()) {
      check_spans(m, inner);  // it has no number of its own
      for (size_t i = 0; i < inner.children.size(); ++i) {
        path.push_back(static_cast<uint32_t>(i + 1));
        check_part(m, inner.children[i], path);
        path.pop_back();
      }
    } else {
      path.push_back(1);
      check_part(m, inner, path);
      path.pop_back();
    }
    return;
  }
  for (size_t i = 0; i < p.children.size(); ++i) {
    path.push_back(static_cast<uint32_t>(i + 1));
    check_part(m, p.children[i], path);
    path.pop_back();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto m = hm::mime::Message::parse(input, kLimits);
  if (m.parts() > kLimits.max_parts) die("past the part limit");
  std::vector<uint32_t> path;
  if (!m.root().is_multipart()) path.push_back(1);
  check_part(m, m.root(), path);
  const std::string structure = hm::mime::bodystructure(m);
  (void)hm::mime::body(m);
  (void)hm::mime::envelope(m.text(m.root().header));
  const hm::mime::Header header(m.text(m.root().header));
  for (const auto& f : header.fields()) {
    (void)hm::mime::decode_encoded_words(hm::mime::unfold(f.raw_value));
  }
  for (bool negate : {false, true}) {
    const std::string fields =
        hm::mime::select_fields(m.text(m.root().header), {"subject", "from"}, negate);
    if (fields.size() < 2 || fields.substr(fields.size() - 2) != "\r\n")
      die("HEADER.FIELDS without its end");
    for (size_t i = 0; i < fields.size(); ++i) {
      if (fields[i] == '\n' && (i == 0 || fields[i - 1] != '\r')) die("a bare LF in HEADER.FIELDS");
    }
  }
  (void)hm::mime::decode_transfer(m.root().encoding, m.text(m.root().body));
  for (const auto& p : m.root().children) {
    (void)hm::mime::decode_transfer(p.encoding, m.text(p.body));
    for (const auto& name : {"filename", "name"})
      (void)hm::mime::param_utf8(p.disposition_params, name);
  }
  for (const char* spec : {"1", "2.1", "1.HEADER", "1.MIME", "TEXT", "2.2.TEXT"})
    (void)m.section(spec);

  // A bare CR is left alone by the parser but made CRLF by with_crlf(), so
  // the comparison only holds for text without one.
  bool bare_cr = false;
  for (size_t i = 0; i < input.size(); ++i) {
    if (input[i] == '\r' && (i + 1 == input.size() || input[i + 1] != '\n')) bare_cr = true;
  }
  if (!bare_cr) {
    const std::string crlf = hm::with_crlf(input);
    const auto c = hm::mime::Message::parse(crlf, kLimits);
    if (m.whole().crlf_size != crlf.size()) die("RFC822.SIZE differs from the CRLF size");
    if (hm::mime::bodystructure(c) != structure) die("BODYSTRUCTURE depends on the line ends");
    if (m.root().body.crlf_offset != c.root().body.offset) die("TEXT offset differs");
  }
  return 0;
}
