// libFuzzer target for the relay's reply reader (src/relay/smtp_reply.h):
// whatever a remote server sends, take_reply() either asks for more (only
// while within kMaxReplyLine of an unfinished line), refuses, or takes a
// reply with a code of 200..599 and at most kMaxReplyLines lines off the
// front of the buffer, shortening it; parse_ehlo() reads any reply.
// The normal build replays fuzz/corpus/smtp_reply (replay_main.cc).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "relay/smtp_reply.h"

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "smtp_reply_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string buffer(reinterpret_cast<const char*>(data), size);
  while (true) {
    const size_t before = buffer.size();
    auto reply = hm::relay::take_reply(buffer);
    if (!reply) {
      if (buffer.size() != before) die("asked for more but took bytes");
      break;
    }
    if (!*reply) break;
    const hm::relay::Reply& r = **reply;
    if (r.code < 200 || r.code > 599) die("a code out of range");
    if (r.lines.empty() || r.lines.size() > hm::relay::kMaxReplyLines) die("line count");
    if (buffer.size() >= before) die("a reply that took nothing");
    (void)hm::relay::parse_ehlo(r);
    (void)r.text();
  }
  return 0;
}
