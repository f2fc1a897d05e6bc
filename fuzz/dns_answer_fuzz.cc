// libFuzzer target for what the relay makes of DNS answers
// (src/relay/dns_answer.h) on top of c-ares' parsers: any bytes a DNS
// server (or someone spoofing one) sends must either be refused or give MX
// records in preference order, at most kMaxMxRecords of them, each naming a
// host, with null MX only when no usable record remains; and addresses
// that are addresses, at most as many as asked for.
// The normal build replays fuzz/corpus/dns_answer (replay_main.cc).

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>

#include "relay/dns_answer.h"

namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "dns_answer_fuzz: %s\n", what);
  std::abort();
}

void check_addresses(std::string_view answer, int family) {
  for (size_t limit : {size_t{1}, size_t{10}}) {
    auto addresses = hm::relay::parse_address_answer(answer, family, limit);
    if (!addresses) continue;
    if (addresses->size() > limit) die("more addresses than the limit");
    unsigned char buffer[sizeof(in6_addr)];
    for (const std::string& a : *addresses) {
      if (inet_pton(family, a.c_str(), buffer) != 1) die("an address that is not one");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view answer(reinterpret_cast<const char*>(data), size);
  std::mt19937_64 random(size);
  auto mx = hm::relay::parse_mx_answer(answer, random);
  if (mx) {
    if (mx->records.size() > hm::relay::kMaxMxRecords) die("too many MX records kept");
    if (mx->null_mx && !mx->records.empty()) die("null MX with usable records");
    for (size_t i = 0; i < mx->records.size(); ++i) {
      const auto& r = mx->records[i];
      if (r.host.empty() || r.host.back() == '.') die("an MX record without a host name");
      if (i > 0 && mx->records[i - 1].preference > r.preference) die("MX records out of order");
    }
  }
  check_addresses(answer, AF_INET);
  check_addresses(answer, AF_INET6);
  return 0;
}
