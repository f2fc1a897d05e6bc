#pragma once
// What hostmail makes of DNS answers, on top of c-ares' own parsers
// (ares_parse_mx_reply, ares_parse_a_reply, ares_parse_aaaa_reply): the MX
// records of a domain in the order RFC 5321 section 5.1 says to try them,
// null MX (RFC 7505), and the addresses of a host. Pure functions over the
// answer's bytes, so that a fuzzer can reach them (fuzz/dns_answer_fuzz.cc);
// dns_client.h does the I/O.

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::relay {

struct MxRecord {
  uint16_t preference = 0;
  std::string host;  // lower case, no trailing dot; "" for the root (null MX)

  friend bool operator==(const MxRecord&, const MxRecord&) = default;
};

struct MxAnswer {
  // The domain says it takes no mail: its only MX record is "0 ." (RFC
  // 7505 section 3). Mail to it bounces at once, without a connection.
  bool null_mx = false;
  // The usable records, lowest preference first, equal preferences in
  // random order (RFC 5321 5.1); a null record among others is left out
  // (RFC 7505 section 4.3 forbids the mix; it names no host anyway).
  // Empty when the answer held no MX record.
  std::vector<MxRecord> records;
};

// At most this many MX records are kept, the most preferred: each costs
// two more queries, and a domain's answer is not ours to trust.
inline constexpr size_t kMaxMxRecords = 10;

// The answer to an MX query with status NOERROR. kInvalid when it is
// malformed. `random` orders records of equal preference.
Result<MxAnswer> parse_mx_answer(std::string_view answer, std::mt19937_64& random);

// The IPv4 (family AF_INET, A query) or IPv6 (AF_INET6, AAAA) addresses in
// an answer, in text form and in the order given, following CNAMEs; at most
// `limit`. kInvalid when the answer is malformed.
Result<std::vector<std::string>> parse_address_answer(std::string_view answer, int family,
                                                      size_t limit);

// Lowest preference first, ties shuffled with `random`; then cut to
// kMaxMxRecords.
void order_mx(std::vector<MxRecord>& records, std::mt19937_64& random);

}  // namespace hm::relay
