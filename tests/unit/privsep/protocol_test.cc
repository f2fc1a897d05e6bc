#include "privsep/protocol.h"

#include <gtest/gtest.h>

namespace hm::privsep {
namespace {

TEST(ProtocolTest, DeliverRequestRoundTrips) {
  Request r;
  r.type = RequestType::kDeliverLocal;
  r.user = "alice";
  r.sender = "";
  r.recipient = "alice@localhost";
  std::string frame = encode_request(r);
  // 4-byte big-endian length of the rest, then the type.
  ASSERT_GE(frame.size(), 5u);
  EXPECT_EQ(static_cast<size_t>(static_cast<unsigned char>(frame[3])), frame.size() - 4);
  EXPECT_EQ(frame[4], 1);
  auto back = decode_request(frame);
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->type, RequestType::kDeliverLocal);
  EXPECT_EQ(back->user, "alice");
  EXPECT_EQ(back->sender, "");
  EXPECT_EQ(back->recipient, "alice@localhost");
}

TEST(ProtocolTest, PamRequestKeepsArbitraryBytes) {
  Request r;
  r.type = RequestType::kPamCheck;
  r.user = "bob";
  r.password = std::string("p\0w\xff\n", 5);
  auto back = decode_request(encode_request(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->type, RequestType::kPamCheck);
  EXPECT_EQ(back->password, r.password);
}

TEST(ProtocolTest, ResponsesRoundTrip) {
  auto ok = decode_response(encode_response(Response::success("1700000000.M1P2Q3.host,S=10")));
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->ok);
  EXPECT_EQ(*ok->to_result(), "1700000000.M1P2Q3.host,S=10");

  Error e(ErrorKind::kNotFound, "there is no local user zed", "getpwnam");
  auto bad = decode_response(encode_response(Response::failure(e)));
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->ok);
  auto as_result = bad->to_result();
  ASSERT_FALSE(as_result);
  EXPECT_EQ(as_result.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(as_result.error().message(), "there is no local user zed");
  EXPECT_EQ(as_result.error().detail(), "getpwnam");
}

TEST(ProtocolTest, RejectsDamagedFrames) {
  Request r;
  r.type = RequestType::kDeliverLocal;
  r.user = "alice";
  std::string frame = encode_request(r);

  EXPECT_FALSE(decode_request(""));
  EXPECT_FALSE(decode_request(frame.substr(0, 4)));
  EXPECT_FALSE(decode_request(frame.substr(0, frame.size() - 1)));  // length mismatch
  std::string trailing = frame + "x";
  trailing[3] = static_cast<char>(trailing[3] + 1);  // length right, one byte too many
  auto t = decode_request(trailing);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().kind(), ErrorKind::kInvalid);

  std::string field_overrun = frame;
  field_overrun[8] = 0x7f;  // the first field's length runs past the end
  EXPECT_FALSE(decode_request(field_overrun));

  std::string unknown = frame;
  unknown[4] = 9;
  auto u = decode_request(unknown);
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message().find("unknown"), std::string::npos);

  // A response is not a request, and the other way round.
  EXPECT_FALSE(decode_request(encode_response(Response::success("x"))));
  EXPECT_FALSE(decode_response(frame));

  EXPECT_FALSE(decode_request(std::string(kMaxFrame + 1, '\0')));
}

TEST(ProtocolTest, RejectsUnknownErrorKind) {
  std::string frame = encode_response(Response::failure(Error(ErrorKind::kInternal, "m")));
  // Type byte, then the kind field: 4 length bytes and the kind itself.
  frame[9] = 42;
  EXPECT_FALSE(decode_response(frame));
}

}  // namespace
}  // namespace hm::privsep
