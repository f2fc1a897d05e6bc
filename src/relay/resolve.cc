#include "relay/resolve.h"

#include <ares.h>
#include <arpa/nameser.h>
#include <netinet/in.h>

#include <fmt/format.h>

#include "relay/dns_answer.h"

namespace hm::relay {
namespace {

using namespace asio::experimental::awaitable_operators;

std::string_view describe(int status) { return ares_strerror(status); }

// The addresses of one host: both queries at once.
struct HostLookup {
  std::vector<std::string> addresses;
  bool no_domain = false;  // NXDOMAIN for both: the host does not exist
  std::string temporary;   // why DNS could not answer, when it could not
};

asio::awaitable<HostLookup> lookup_host(DnsClient& dns, const std::string& host, size_t limit) {
  HostLookup result;
  auto [a, aaaa] = co_await (dns.query(host, ns_t_a) && dns.query(host, ns_t_aaaa));
  int nxdomain = 0;
  // (Not a braced list: g++ 12 miscompiles an initializer_list in a coroutine.)
  std::vector<std::pair<const DnsReply*, int>> replies;
  replies.emplace_back(&a, AF_INET);
  replies.emplace_back(&aaaa, AF_INET6);
  for (const auto& [reply, family] : replies) {
    switch (classify(reply->status)) {
      case DnsFailure::kNone: {
        Result<std::vector<std::string>> found =
            parse_address_answer(reply->answer, family, limit - result.addresses.size());
        if (found) {
          for (std::string& address : *found) result.addresses.push_back(std::move(address));
        } else {
          result.temporary = fmt::format("{} lookup of {}: {}", family == AF_INET ? "A" : "AAAA",
                                         host, found.error().describe());
        }
        break;
      }
      case DnsFailure::kNoData: break;
      case DnsFailure::kNoDomain: ++nxdomain; break;
      case DnsFailure::kTemporary:
        result.temporary = fmt::format("{} lookup of {}: {}", family == AF_INET ? "A" : "AAAA",
                                       host, describe(reply->status));
        break;
    }
  }
  result.no_domain = nxdomain == 2;
  co_return result;
}

asio::awaitable<Result<std::vector<Target>>> resolve_hosts(DnsClient& dns,
                                                           const std::vector<MxRecord>& hosts,
                                                           uint16_t port, bool mx,
                                                           const std::string& domain) {
  std::vector<Target> targets;
  std::string temporary;
  for (const MxRecord& record : hosts) {
    if (targets.size() >= kMaxTargets) break;
    if (is_ip_address(record.host)) {
      targets.push_back(Target{record.host, record.host, port});
      continue;
    }
    HostLookup found = co_await lookup_host(dns, record.host, kMaxTargets - targets.size());
    for (std::string& address : found.addresses) {
      targets.push_back(Target{record.host, std::move(address), port});
    }
    if (!found.temporary.empty() && temporary.empty()) temporary = std::move(found.temporary);
  }
  if (!targets.empty()) co_return targets;
  if (!temporary.empty()) {
    co_return fail(ErrorKind::kTemporary,
                   fmt::format("4.4.3 cannot find the address of the mail host for {}", domain),
                   temporary);
  }
  co_return fail(ErrorKind::kNotFound,
                 mx ? fmt::format("5.4.4 the mail hosts of {} have no address", domain)
                    : fmt::format("5.4.4 host {} not found", domain));
}

}  // namespace

asio::awaitable<Result<std::vector<Target>>> resolve(DnsClient& dns, const NextHop& hop,
                                                     uint16_t default_port,
                                                     std::mt19937_64& random) {
  const uint16_t port = hop.port != 0 ? hop.port : default_port;
  // The host itself, when it has no MX records or they are not wanted.
  std::vector<MxRecord> itself;
  itself.push_back(MxRecord{0, hop.host});
  if (!hop.mx || is_ip_address(hop.host)) {
    co_return co_await resolve_hosts(dns, itself, port, false, hop.host);
  }
  DnsReply reply = co_await dns.query(hop.host, ns_t_mx);
  switch (classify(reply.status)) {
    case DnsFailure::kNone: break;
    case DnsFailure::kNoData:
      // No MX records: the domain is its own mail host (RFC 5321 5.1).
      co_return co_await resolve_hosts(dns, itself, port, true, hop.host);
    case DnsFailure::kNoDomain:
      co_return fail(ErrorKind::kNotFound,
                     fmt::format("5.1.2 domain {} does not exist (NXDOMAIN)", hop.host));
    case DnsFailure::kTemporary:
      co_return fail(ErrorKind::kTemporary,
                     fmt::format("4.4.3 DNS cannot say where mail for {} goes now", hop.host),
                     fmt::format("MX lookup of {}: {}", hop.host, describe(reply.status)));
  }
  Result<MxAnswer> answer = parse_mx_answer(reply.answer, random);
  if (!answer) {
    co_return fail(ErrorKind::kTemporary,
                   fmt::format("4.4.3 DNS cannot say where mail for {} goes now", hop.host),
                   answer.error().describe());
  }
  if (answer->null_mx) {
    co_return fail(ErrorKind::kInvalid,
                   fmt::format("5.1.10 domain {} accepts no mail (null MX, RFC 7505)", hop.host));
  }
  if (answer->records.empty()) {
    co_return co_await resolve_hosts(dns, itself, port, true, hop.host);
  }
  co_return co_await resolve_hosts(dns, answer->records, port, true, hop.host);
}

}  // namespace hm::relay
