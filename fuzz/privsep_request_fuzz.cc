// libFuzzer target for the privileged helper's frame decoder
// (src/privsep/protocol): the helper runs as root and decodes what the
// unprivileged daemon sends, so a compromised daemon controls every byte.
// Any frame must be refused with an error or decode to a request that
// encodes back to the same frame; the same for responses.
// The normal build replays fuzz/corpus/privsep_request (replay_main.cc).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "privsep/protocol.h"

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "privsep_request_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hm::privsep;
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  if (auto request = decode_request(frame)) {
    if (frame.size() > kMaxFrame) die("a frame over kMaxFrame was accepted");
    const std::string again = encode_request(*request);
    if (again != frame) die("decode/encode of a request changed the frame");
  }
  if (auto response = decode_response(frame)) {
    auto again = decode_response(encode_response(*response));
    if (!again || again->ok != response->ok || again->value != response->value ||
        again->message != response->message || again->detail != response->detail ||
        again->kind != response->kind) {
      die("encode/decode of a response changed it");
    }
  }
  return 0;
}
