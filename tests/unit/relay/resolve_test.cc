// relay::resolve and relay::DnsClient against a DNS server on loopback
// (dns_responder.h): the whole path of a lookup, c-ares' sockets and
// timers on an Asio loop included.

#include "relay/resolve.h"

#include <gtest/gtest.h>

#include <set>

#include "dns_responder.h"

namespace hm::relay {
namespace {

using test::DnsResponder;
using test::Entry;

class ResolveTest : public ::testing::Test {
 protected:
  ResolveTest() : dns_server_(io_) {}

  Result<std::vector<Target>> run(const NextHop& hop, unsigned timeout_ms = 300) {
    Result<std::shared_ptr<DnsClient>> client =
        DnsClient::create(io_.get_executor(), DnsOptions{{dns_server_.server()}, timeout_ms, 1});
    EXPECT_TRUE(client) << client.error().describe();
    std::optional<Result<std::vector<Target>>> result;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> { result = co_await resolve(**client, hop, 25, random_); },
        asio::detached);
    io_.restart();
    // The responder keeps waiting for queries: run until the answer is in.
    while (!result && io_.run_one()) {
    }
    EXPECT_TRUE(result.has_value());
    return result ? std::move(*result) : fail(ErrorKind::kInternal, "no result");
  }

  static NextHop mx(std::string domain) { return NextHop{.host = std::move(domain)}; }

  static std::vector<std::string> hosts(const std::vector<Target>& targets) {
    std::vector<std::string> out;
    for (const Target& t : targets) out.push_back(t.host + "/" + t.address);
    return out;
  }

  asio::io_context io_;
  DnsResponder dns_server_;
  std::mt19937_64 random_{42};
};

TEST_F(ResolveTest, MxHostsByPreferenceThenTheirAddresses) {
  dns_server_.mx("example.org", 20, "backup.example.org");
  dns_server_.mx("example.org", 10, "primary.example.org");
  dns_server_.a("primary.example.org", "192.0.2.1");
  dns_server_.aaaa("primary.example.org", "2001:db8::1");
  dns_server_.a("backup.example.org", "192.0.2.2");
  Result<std::vector<Target>> t = run(mx("Example.ORG"));
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_EQ(hosts(*t), (std::vector<std::string>{"primary.example.org/192.0.2.1",
                                                 "primary.example.org/2001:db8::1",
                                                 "backup.example.org/192.0.2.2"}));
  EXPECT_EQ(t->front().port, 25);
}

TEST_F(ResolveTest, EqualPreferencesAreShuffled) {
  for (const char* host : {"a.example.org", "b.example.org", "c.example.org"}) {
    dns_server_.mx("example.org", 10, host);
    dns_server_.a(host, "192.0.2.10");
  }
  std::set<std::string> first;
  for (int i = 0; i < 20; ++i) {
    Result<std::vector<Target>> t = run(mx("example.org"));
    ASSERT_TRUE(t) << t.error().describe();
    ASSERT_EQ(t->size(), 3u);
    first.insert(t->front().host);
  }
  EXPECT_GT(first.size(), 1u);
}

TEST_F(ResolveTest, NullMxIsPermanent) {
  dns_server_.mx("nomail.example", 0, ".");
  Result<std::vector<Target>> t = run(mx("nomail.example"));
  ASSERT_FALSE(t);
  EXPECT_FALSE(t.error().temporary());
  EXPECT_EQ(t.error().message().rfind("5.1.10 ", 0), 0u) << t.error().message();
  EXPECT_EQ(dns_server_.queries("nomail.example"), 1);  // no A/AAAA lookups
}

TEST_F(ResolveTest, NxDomainIsPermanent) {
  Result<std::vector<Target>> t = run(mx("missing.example"));
  ASSERT_FALSE(t);
  EXPECT_FALSE(t.error().temporary());
  EXPECT_EQ(t.error().message().rfind("5.1.2 ", 0), 0u) << t.error().message();
}

TEST_F(ResolveTest, ServfailIsTemporary) {
  dns_server_.add("broken.example", test::kMx, Entry{.rcode = test::kServFail});
  Result<std::vector<Target>> t = run(mx("broken.example"));
  ASSERT_FALSE(t);
  EXPECT_TRUE(t.error().temporary());
  EXPECT_EQ(t.error().message().rfind("4.4.3 ", 0), 0u) << t.error().message();
}

TEST_F(ResolveTest, TimeoutIsTemporary) {
  dns_server_.add("slow.example", test::kMx, Entry{.silent = true});
  auto start = std::chrono::steady_clock::now();
  Result<std::vector<Target>> t = run(mx("slow.example"), 200);
  ASSERT_FALSE(t);
  EXPECT_TRUE(t.error().temporary());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ResolveTest, NoMxMeansTheDomainItself) {
  dns_server_.a("plain.example", "192.0.2.30");
  Result<std::vector<Target>> t = run(mx("plain.example"));
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_EQ(hosts(*t), std::vector<std::string>{"plain.example/192.0.2.30"});
}

TEST_F(ResolveTest, CnameToTheMxRecords) {
  dns_server_.add("alias.example", test::kMx,
                  Entry{.answers = {{"alias.example", test::kCname, "real.example"},
                                    {"real.example", test::kMx, "mx.real.example", 10}}});
  dns_server_.add("mx.real.example", test::kA,
                  Entry{.answers = {{"mx.real.example", test::kCname, "host.real.example"},
                                    {"host.real.example", test::kA, "192.0.2.40"}}});
  Result<std::vector<Target>> t = run(mx("alias.example"));
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_EQ(hosts(*t), std::vector<std::string>{"mx.real.example/192.0.2.40"});
}

TEST_F(ResolveTest, MxHostWithoutAddressIsSkipped) {
  dns_server_.mx("example.org", 10, "gone.example.org");
  dns_server_.mx("example.org", 20, "there.example.org");
  dns_server_.a("there.example.org", "192.0.2.50");
  Result<std::vector<Target>> t = run(mx("example.org"));
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_EQ(hosts(*t), std::vector<std::string>{"there.example.org/192.0.2.50"});
}

TEST_F(ResolveTest, MxHostsWithoutAnyAddress) {
  dns_server_.mx("example.org", 10, "gone.example.org");
  Result<std::vector<Target>> t = run(mx("example.org"));
  ASSERT_FALSE(t);
  EXPECT_FALSE(t.error().temporary());
  EXPECT_EQ(t.error().message().rfind("5.4.4 ", 0), 0u) << t.error().message();

  dns_server_.add("flaky.example.org", test::kA, Entry{.rcode = test::kServFail});
  dns_server_.mx("flaky.example", 10, "flaky.example.org");
  Result<std::vector<Target>> flaky = run(mx("flaky.example"));
  ASSERT_FALSE(flaky);
  EXPECT_TRUE(flaky.error().temporary()) << flaky.error().describe();
}

TEST_F(ResolveTest, BracketedHostSkipsMx) {
  dns_server_.mx("smarthost.example", 10, "other.example");
  dns_server_.a("smarthost.example", "192.0.2.60");
  Result<std::vector<Target>> t =
      run(NextHop{.host = "smarthost.example", .mx = false, .port = 2525});
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_EQ(hosts(*t), std::vector<std::string>{"smarthost.example/192.0.2.60"});
  EXPECT_EQ(t->front().port, 2525);
  EXPECT_EQ(dns_server_.queries("other.example"), 0);
}

TEST_F(ResolveTest, IpAddressNeedsNoDns) {
  Result<std::vector<Target>> t = run(NextHop{.host = "127.0.0.1", .mx = false, .port = 2525});
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_EQ(*t, (std::vector<Target>{Target{"127.0.0.1", "127.0.0.1", 2525}}));
}

TEST(DnsClient, RefusesMalformedServers) {
  asio::io_context io;
  Result<std::shared_ptr<DnsClient>> client =
      DnsClient::create(io.get_executor(), DnsOptions{{"not an address"}, 100, 1});
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().kind(), ErrorKind::kInvalid);
}

}  // namespace
}  // namespace hm::relay
