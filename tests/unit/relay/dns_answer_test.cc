#include "relay/dns_answer.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <set>

#include "dns_message.h"

namespace hm::relay {
namespace {

using test::kMx;
using test::Record;

std::string mx_answer(const std::vector<std::pair<uint16_t, std::string>>& records,
                      const std::string& domain = "example.org") {
  std::vector<Record> rr;
  for (const auto& [preference, host] : records)
    rr.push_back(Record{domain, kMx, host, preference});
  return test::response(1, domain, kMx, test::kNoError, rr);
}

std::vector<std::string> hosts(const MxAnswer& answer) {
  std::vector<std::string> out;
  for (const MxRecord& r : answer.records) out.push_back(r.host);
  return out;
}

TEST(MxAnswer, LowestPreferenceFirst) {
  std::mt19937_64 random(1);
  Result<MxAnswer> a = parse_mx_answer(
      mx_answer({{20, "b.example.org"}, {5, "A.Example.ORG"}, {30, "c.example.org."}}), random);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_FALSE(a->null_mx);
  EXPECT_EQ(hosts(*a),
            (std::vector<std::string>{"a.example.org", "b.example.org", "c.example.org"}));
  EXPECT_EQ(a->records[0].preference, 5);
}

TEST(MxAnswer, EqualPreferencesInRandomOrder) {
  std::mt19937_64 random(7);
  std::string answer = mx_answer({{10, "x.example.org"},
                                  {10, "y.example.org"},
                                  {10, "z.example.org"},
                                  {5, "first.example.org"},
                                  {50, "last.example.org"}});
  std::set<std::vector<std::string>> seen;
  for (int i = 0; i < 60; ++i) {
    std::vector<std::string> order = hosts(*parse_mx_answer(answer, random));
    ASSERT_EQ(order.size(), 5u);
    EXPECT_EQ(order.front(), "first.example.org");
    EXPECT_EQ(order.back(), "last.example.org");
    seen.insert(order);
  }
  EXPECT_GT(seen.size(), 1u);  // 6 orders possible; 60 draws all equal is (1/6)^59
}

TEST(MxAnswer, NullMx) {
  std::mt19937_64 random(1);
  Result<MxAnswer> a = parse_mx_answer(mx_answer({{0, "."}}), random);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->null_mx);
  EXPECT_TRUE(a->records.empty());
  // Mixed with real records (RFC 7505 forbids it): the real ones are used.
  Result<MxAnswer> mixed = parse_mx_answer(mx_answer({{0, "."}, {10, "mx.example.org"}}), random);
  ASSERT_TRUE(mixed);
  EXPECT_FALSE(mixed->null_mx);
  EXPECT_EQ(hosts(*mixed), std::vector<std::string>{"mx.example.org"});
}

TEST(MxAnswer, FollowsCname) {
  std::mt19937_64 random(1);
  std::string answer = test::response(1, "alias.example", kMx, test::kNoError,
                                      {Record{"alias.example", test::kCname, "real.example"},
                                       Record{"real.example", kMx, "mx.real.example", 10}});
  Result<MxAnswer> a = parse_mx_answer(answer, random);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(hosts(*a), std::vector<std::string>{"mx.real.example"});
}

TEST(MxAnswer, NoRecordsAndMalformed) {
  std::mt19937_64 random(1);
  Result<MxAnswer> none = parse_mx_answer(mx_answer({}), random);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->null_mx);
  EXPECT_TRUE(none->records.empty());
  std::string answer = mx_answer({{10, "mx.example.org"}});
  EXPECT_FALSE(parse_mx_answer(answer.substr(0, answer.size() - 3), random));
  EXPECT_FALSE(parse_mx_answer("", random));
}

TEST(MxAnswer, KeepsTheMostPreferred) {
  std::mt19937_64 random(1);
  std::vector<std::pair<uint16_t, std::string>> many;
  for (int i = 0; i < 30; ++i) {
    many.emplace_back(static_cast<uint16_t>(100 - i), "mx" + std::to_string(i) + ".example.org");
  }
  Result<MxAnswer> a = parse_mx_answer(mx_answer(many), random);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->records.size(), kMaxMxRecords);
  EXPECT_EQ(a->records.front().preference, 71);
  EXPECT_EQ(a->records.back().preference, 80);
}

TEST(AddressAnswer, ARecordsThroughCname) {
  std::string answer = test::response(1, "www.example", test::kA, test::kNoError,
                                      {Record{"www.example", test::kCname, "host.example"},
                                       Record{"host.example", test::kA, "192.0.2.7"},
                                       Record{"host.example", test::kA, "192.0.2.8"}});
  Result<std::vector<std::string>> a = parse_address_answer(answer, AF_INET, 10);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(*a, (std::vector<std::string>{"192.0.2.7", "192.0.2.8"}));
  EXPECT_EQ(parse_address_answer(answer, AF_INET, 1)->size(), 1u);
}

TEST(AddressAnswer, Aaaa) {
  std::string answer = test::response(1, "h.example", test::kAaaa, test::kNoError,
                                      {Record{"h.example", test::kAaaa, "2001:db8::25"}});
  Result<std::vector<std::string>> a = parse_address_answer(answer, AF_INET6, 10);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(*a, std::vector<std::string>{"2001:db8::25"});
  EXPECT_FALSE(parse_address_answer(answer.substr(0, 20), AF_INET6, 10));
}

}  // namespace
}  // namespace hm::relay
