#pragma once
// The wire format between `hostmail serve` (unprivileged) and its privileged
// helper. Pure encoding and decoding, no I/O, so that it can be tested and
// fuzzed alone.
//
// Transport: a SOCK_SEQPACKET socketpair, so every send is one record and
// record boundaries survive. A record is a frame:
//
//   u32 length (big-endian, of everything after these 4 bytes)
//   u8  type
//   fields, each "u32 length (big-endian) + bytes", in a fixed order per type
//
// The length prefix is redundant with SEQPACKET's boundaries on purpose: a
// decoder checks that it matches the bytes received, which catches a
// truncated record (MSG_TRUNC) and keeps the format usable on a stream.
//
// Message bytes never travel in a frame: a delivery request carries them in
// a sealed memfd passed with SCM_RIGHTS beside the frame (see
// privsep_client.h). Frames are small (names, addresses, a password), at
// most kMaxFrame bytes.
//
// Answers do not come back on the shared socket: every request carries,
// first among its descriptors, one end of a SOCK_SEQPACKET socketpair of
// its own, on which the helper sends the one answer. So requests run side
// by side and a slow one holds up no other, with no ids to pair. A request
// passes exactly descriptors_for(type) descriptors, in this order: the
// answer socket, then (kDeliverLocal) the message's memfd.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hm::privsep {

inline constexpr size_t kMaxFrame = 64 * 1024;

enum class RequestType : uint8_t {
  kDeliverLocal = 1,  // fields: user, sender, recipient; a memfd with the message beside it
  kPamCheck = 2,      // fields: user, password
};

struct Request {
  RequestType type = RequestType::kDeliverLocal;
  std::string user;       // the local (shell) account
  std::string sender;     // kDeliverLocal: envelope sender, "" for the null sender
  std::string recipient;  // kDeliverLocal: the address the mail was sent to
  std::string password;   // kPamCheck
};

// The answer to one request. ok: value holds the result (the Maildir file
// name of a delivery, "1"/"0" for a PAM check). Not ok: an hm::Error.
struct Response {
  bool ok = true;
  std::string value;
  ErrorKind kind = ErrorKind::kInternal;  // when !ok
  std::string message;                    // when !ok
  std::string detail;                     // when !ok; for the log

  static Response success(std::string value);
  static Response failure(const Error& error);
  // The Response as a Result: value, or the Error it carries.
  Result<std::string> to_result() const;
};

// How many descriptors a request of `type` comes with (see above).
size_t descriptors_for(RequestType type);

std::string encode_request(const Request& request);
std::string encode_response(const Response& response);

// kInvalid naming what is wrong: short or overlong frame, a length that does
// not match, an unknown type or error kind, trailing bytes.
Result<Request> decode_request(std::string_view frame);
Result<Response> decode_response(std::string_view frame);

}  // namespace hm::privsep
