#include "relay/dns_answer.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <fmt/format.h>

#include <algorithm>

#include "base/strings.h"

namespace hm::relay {
namespace {

const unsigned char* bytes(std::string_view answer) {
  return reinterpret_cast<const unsigned char*>(answer.data());
}

Error malformed(std::string_view what, int status) {
  return Error(ErrorKind::kInvalid, fmt::format("malformed DNS answer to a {} query", what),
               ares_strerror(status));
}

// The address records c-ares can hand back from one answer: more than a
// DNS message over UDP with EDNS can hold anyway.
constexpr int kMaxAddressRecords = 64;

// The addresses of an A or AAAA answer: c-ares' parser `parse` fills
// records of type Record, `address_of` points at the address in one.
template <typename Record, typename Parse, typename AddressOf>
Result<std::vector<std::string>> addresses_of(std::string_view answer, size_t limit, int family,
                                              std::string_view type, Parse parse,
                                              AddressOf address_of) {
  std::vector<std::string> addresses;
  if (answer.size() > static_cast<size_t>(INT32_MAX)) return fail(malformed(type, ARES_EBADRESP));
  Record records[kMaxAddressRecords];
  int count = kMaxAddressRecords;
  int status = parse(bytes(answer), static_cast<int>(answer.size()), nullptr, records, &count);
  if (status == ARES_ENODATA) return addresses;
  if (status != ARES_SUCCESS) return fail(malformed(type, status));
  char text[INET6_ADDRSTRLEN];
  for (int i = 0; i < count && addresses.size() < limit; ++i) {
    if (inet_ntop(family, address_of(records[i]), text, sizeof(text))) addresses.emplace_back(text);
  }
  return addresses;
}

}  // namespace

void order_mx(std::vector<MxRecord>& records, std::mt19937_64& random) {
  std::shuffle(records.begin(), records.end(), random);
  std::stable_sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
    return a.preference < b.preference;
  });
  if (records.size() > kMaxMxRecords) records.resize(kMaxMxRecords);
}

Result<MxAnswer> parse_mx_answer(std::string_view answer, std::mt19937_64& random) {
  MxAnswer result;
  if (answer.size() > static_cast<size_t>(INT32_MAX)) return fail(malformed("MX", ARES_EBADRESP));
  struct ares_mx_reply* list = nullptr;
  int status = ares_parse_mx_reply(bytes(answer), static_cast<int>(answer.size()), &list);
  if (status == ARES_ENODATA) return result;
  if (status != ARES_SUCCESS) return fail(malformed("MX", status));
  bool null_record = false;
  for (const ares_mx_reply* mx = list; mx != nullptr; mx = mx->next) {
    std::string_view host = mx->host != nullptr ? std::string_view(mx->host) : std::string_view();
    while (!host.empty() && host.back() == '.') host.remove_suffix(1);
    if (host.empty()) {
      null_record = true;
      continue;
    }
    result.records.push_back(MxRecord{mx->priority, ascii_lower(host)});
  }
  ares_free_data(list);
  result.null_mx = null_record && result.records.empty();
  order_mx(result.records, random);
  return result;
}

Result<std::vector<std::string>> parse_address_answer(std::string_view answer, int family,
                                                      size_t limit) {
  if (family == AF_INET) {
    return addresses_of<ares_addrttl>(answer, limit, AF_INET, "A", ares_parse_a_reply,
                                      [](const ares_addrttl& r) { return &r.ipaddr; });
  }
  return addresses_of<ares_addr6ttl>(answer, limit, AF_INET6, "AAAA", ares_parse_aaaa_reply,
                                     [](const ares_addr6ttl& r) { return &r.ip6addr; });
}

}  // namespace hm::relay
