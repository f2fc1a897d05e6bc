#include "relay/next_hop.h"

#include <gtest/gtest.h>

#include "relay/router.h"

namespace hm::relay {
namespace {

NextHop smtp(std::string host, bool mx, uint16_t port = 0) {
  return NextHop{.kind = NextHop::kSmtp, .host = std::move(host), .mx = mx, .port = port};
}

TEST(ParseTransport, SmtpForms) {
  EXPECT_EQ(*parse_transport("smtp:[mx.example.net]:2525"), smtp("mx.example.net", false, 2525));
  EXPECT_EQ(*parse_transport("smtp:[MX.Example.NET]"), smtp("mx.example.net", false));
  EXPECT_EQ(*parse_transport("smtp:relay.example.net"), smtp("relay.example.net", true));
  EXPECT_EQ(*parse_transport("smtp:relay.example.net:587"), smtp("relay.example.net", true, 587));
  EXPECT_EQ(*parse_transport("smtp:"), smtp("", true));
  EXPECT_EQ(*parse_transport("SMTP:[192.0.2.1]:25"), smtp("192.0.2.1", false, 25));
  EXPECT_EQ(*parse_transport("smtp:[IPv6:2001:db8::1]:25"), smtp("2001:db8::1", false, 25));
  EXPECT_EQ(*parse_transport("smtp:[::1]"), smtp("::1", false));
  // A bare address has no MX records to look up.
  EXPECT_EQ(*parse_transport("smtp:127.0.0.1:2525"), smtp("127.0.0.1", false, 2525));
}

TEST(ParseTransport, ErrorAndDiscard) {
  EXPECT_EQ(*parse_transport("discard"), NextHop{.kind = NextHop::kDiscard});
  NextHop error = *parse_transport("error:5.7.1 we do not send there");
  EXPECT_EQ(error.kind, NextHop::kError);
  EXPECT_EQ(error.text, "5.7.1 we do not send there");
  EXPECT_EQ(parse_transport("error:")->kind, NextHop::kError);
  EXPECT_FALSE(parse_transport("error:")->text.empty());
}

TEST(ParseTransport, RefusesWhatItCannotRead) {
  for (const char* bad :
       {"", "lmtp:[x]:24", "smtp", "smtp:[mx.example.net", "smtp:[mx]x", "smtp:[mx.example.net]:0",
        "smtp:[mx.example.net]:65536", "smtp:[mx.example.net]:25x", "smtp:bad_host!",
        "smtp:-a.example", "smtp:[not an ip or host]"}) {
    Result<NextHop> hop = parse_transport(bad);
    EXPECT_FALSE(hop) << bad;
    if (!hop) {
      EXPECT_EQ(hop.error().kind(), ErrorKind::kInvalid) << bad;
    }
  }
}

TEST(ParseRelayhost, Forms) {
  EXPECT_EQ(*parse_relayhost("[smtp.example.net]:587"), smtp("smtp.example.net", false, 587));
  EXPECT_EQ(*parse_relayhost("smtp.example.net"), smtp("smtp.example.net", true));
  EXPECT_FALSE(parse_relayhost(""));
  EXPECT_FALSE(parse_relayhost("smtp:[x]"));
}

TEST(NextHopText, RoundTrips) {
  for (const char* spec : {"smtp:[mx.example.net]:2525", "smtp:relay.example.net", "discard",
                           "error:no", "smtp:[192.0.2.1]"}) {
    EXPECT_EQ(to_string(*parse_transport(spec)), spec);
  }
}

TEST(Router, MapThenParentThenRelayhostThenMx) {
  Router router = *Router::create({{"Example.COM", "smtp:[in.example.net]:2525"},
                                   {".example.com", "error:no subdomains"},
                                   {".b.example.com", "discard"},
                                   {"mx-of-own.example", "smtp:"}},
                                  "");
  EXPECT_EQ(router.route("example.com"), smtp("in.example.net", false, 2525));
  EXPECT_EQ(router.route("a.example.com").kind, NextHop::kError);
  EXPECT_EQ(router.route("x.b.example.com").kind, NextHop::kDiscard);
  EXPECT_EQ(router.route("b.example.com").kind, NextHop::kError);  // ".b" covers only below b
  EXPECT_EQ(router.route("mx-of-own.example"), smtp("mx-of-own.example", true));
  EXPECT_EQ(router.route("Elsewhere.ORG"), smtp("elsewhere.org", true));
  EXPECT_EQ(router.route("notexample.com"), smtp("notexample.com", true));

  Router relayed = *Router::create({{"direct.example", "smtp:"}}, "[smarthost.example.net]:587");
  EXPECT_EQ(relayed.route("elsewhere.org"), smtp("smarthost.example.net", false, 587));
  EXPECT_EQ(relayed.route("direct.example"), smtp("direct.example", true));
}

TEST(Router, ReportsEveryBadEntry) {
  Result<Router> router = Router::create(
      {{"ok.example", "smtp:"}, {"bad domain", "smtp:"}, {"x.example", "ftp:x"}}, "[unclosed");
  ASSERT_FALSE(router);
  EXPECT_NE(router.error().message().find("bad domain"), std::string::npos);
  EXPECT_NE(router.error().message().find("x.example"), std::string::npos);
  EXPECT_NE(router.error().message().find("[unclosed"), std::string::npos);
}

}  // namespace
}  // namespace hm::relay
