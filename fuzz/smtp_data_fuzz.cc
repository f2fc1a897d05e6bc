// libFuzzer target for the SMTP DATA decoder (src/smtp/proto): whatever the
// bytes, the decoder must give the same result fed in one piece, byte by
// byte, and in splits chosen by the input; the message holds no bare CR, bare
// LF or NUL; the end is found only after CRLF "." CRLF (or "." CRLF at the
// very start); the limits hold.
// Input layout: byte 0 picks the limits, byte 1 seeds the split sizes, the
// rest is the DATA stream. The normal build replays fuzz/corpus/smtp_data.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp/proto/data_decoder.h"

namespace {

using hm::smtp::proto::DataDecoder;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "smtp_data_fuzz: %s\n", what);
  std::abort();
}

struct Outcome {
  size_t consumed = 0;
  bool done = false;
  bool too_big = false;
  bool line_too_long = false;
  size_t size = 0;
  size_t bare = 0;
  size_t nuls = 0;
  std::string message;

  bool operator==(const Outcome&) const = default;
};

Outcome take(DataDecoder& d, size_t consumed) {
  return {consumed, d.done(),           d.too_big(),   d.line_too_long(),
          d.size(), d.bare_line_ends(), d.nul_bytes(), d.message()};
}

// Feeds `in` in pieces whose sizes come from `sizes` (cycled).
Outcome split(std::string_view in, size_t max_size, size_t max_line, std::string_view sizes) {
  DataDecoder d(max_size, max_line);
  size_t pos = 0, consumed = 0, k = 0;
  while (pos < in.size() && !d.done()) {
    const size_t len = sizes.empty() ? 1 : static_cast<unsigned char>(sizes[k++ % sizes.size()]);
    const std::string_view piece = in.substr(pos, len);
    const size_t n = d.feed(piece);
    if (n > piece.size()) die("consumed more than given");
    consumed += n;
    if (n < piece.size() && !d.done()) die("left bytes over without being done");
    pos += piece.size();
  }
  return take(d, consumed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const unsigned pick = data[0];
  const size_t max_size = (pick & 0x0f) == 0 ? 0 : (pick & 0x0f) * 16;
  const size_t max_line = (pick >> 4) == 0 ? 0 : (pick >> 4) * 4;
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

  DataDecoder one(max_size, max_line);
  const Outcome a = take(one, one.feed(in));

  // Split sizes derived from the input itself, so the fuzzer explores them.
  std::string sizes;
  for (size_t i = 0; i < 16 && i < in.size(); ++i) {
    sizes.push_back(static_cast<char>(1 + (static_cast<unsigned char>(in[i]) ^ data[1]) % 7));
  }
  if (!(split(in, max_size, max_line, "") == a)) die("byte-by-byte result differs");
  if (!(split(in, max_size, max_line, sizes) == a)) die("split result differs");

  if (a.consumed > in.size()) die("consumed more than the input");
  if (!a.done && a.consumed != in.size()) die("stopped early without being done");
  if (a.done) {
    const std::string_view used = in.substr(0, a.consumed);
    if (used != ".\r\n" && !(used.size() >= 5 && used.substr(used.size() - 5) == "\r\n.\r\n")) {
      die("ended without CRLF.CRLF");
    }
  }
  if (a.too_big && !a.message.empty()) die("kept a message over the limit");
  if (max_size != 0 && a.message.size() > max_size) die("stored past the size limit");
  if (!a.too_big && a.size != a.message.size()) die("size disagrees with the message");
  for (size_t i = 0; i < a.message.size(); ++i) {
    const char c = a.message[i];
    if (c == '\0') die("NUL in the message");
    if (c == '\r' && (i + 1 >= a.message.size() || a.message[i + 1] != '\n')) die("bare CR");
    if (c == '\n' && (i == 0 || a.message[i - 1] != '\r')) die("bare LF");
  }
  if (a.done && !a.message.empty() && a.message.substr(a.message.size() - 2) != "\r\n") {
    die("message does not end with CRLF");
  }
  if (a.done && !a.too_big && max_line != 0) {
    // Lines are counted as stored: a stuffing dot is not part of its line
    // (RFC 5321 4.5.3.1.6), so the flag follows the decoded lines exactly.
    size_t longest = 0;
    for (size_t start = 0; start < a.message.size();) {
      const size_t end = a.message.find("\r\n", start);
      longest = std::max(longest, end - start);
      start = end + 2;
    }
    if (a.line_too_long != (longest + 2 > max_line)) die("line limit disagrees with the lines");
  }
  return 0;
}
