// libFuzzer target for the queue's envelope parser (src/queue/queue_format):
// any input must either be refused with an error naming its line, or parse to
// an entry whose written form parses back to the same written form. The
// envelope is read from a folder the unprivileged daemon writes, also by
// commands run as root, so it is treated as hostile input.
// The normal build replays fuzz/corpus/queue_envelope (replay_main.cc).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "queue/queue_format.h"

namespace {

[[noreturn]] void die(const char* what, const std::string& text) {
  std::fprintf(stderr, "queue_envelope_fuzz: %s\n---\n%s\n", what, text.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace format = hm::queue::format;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)format::decode(text);
  (void)format::parse_state(text);
  auto entry = format::parse_envelope(text);
  if (!entry) {
    if (entry.error().message().empty()) die("an error without a message", std::string(text));
    return 0;
  }
  const std::string written = format::write_envelope(*entry);
  auto again = format::parse_envelope(written);
  if (!again) die("write_envelope() wrote what parse_envelope() refuses", written);
  if (format::write_envelope(*again) != written) die("write/parse is not stable", written);
  for (const auto& r : entry->recipients) {
    for (const std::string* field : {&r.address, &r.original, &r.last_error, &r.route.next_hop}) {
      auto decoded = format::decode(format::encode_field(*field));
      if (!decoded || *decoded != *field) die("encode_field/decode lost bytes", *field);
    }
  }
  return 0;
}
