#include "privsep/protocol.h"

#include <fmt/format.h>

#include <vector>

namespace hm::privsep {
namespace {

constexpr uint8_t kResponseOk = 0x80;
constexpr uint8_t kResponseError = 0x81;
constexpr uint8_t kLastErrorKind = static_cast<uint8_t>(ErrorKind::kInternal);

void put_u32(std::string& out, uint32_t v) {
  out += static_cast<char>((v >> 24) & 0xff);
  out += static_cast<char>((v >> 16) & 0xff);
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

uint32_t get_u32(std::string_view in) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(in[i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

// Type byte and fields; the length prefix goes in front at the end.
std::string frame(uint8_t type, std::initializer_list<std::string_view> fields) {
  std::string body(1, static_cast<char>(type));
  for (std::string_view f : fields) {
    put_u32(body, static_cast<uint32_t>(f.size()));
    body.append(f);
  }
  std::string out;
  out.reserve(4 + body.size());
  put_u32(out, static_cast<uint32_t>(body.size()));
  out += body;
  return out;
}

struct Parsed {
  uint8_t type = 0;
  std::vector<std::string> fields;
};

// Splits a frame into its type and exactly `count` fields.
Result<Parsed> parse(std::string_view in, size_t count) {
  if (in.size() > kMaxFrame) {
    return fail(
        ErrorKind::kInvalid,
        fmt::format("privsep frame of {} bytes is over the limit of {}", in.size(), kMaxFrame));
  }
  if (in.size() < 5) return fail(ErrorKind::kInvalid, "privsep frame is too short");
  uint32_t length = get_u32(in);
  if (length != in.size() - 4) {
    return fail(ErrorKind::kInvalid,
                fmt::format("privsep frame says {} bytes but holds {}", length, in.size() - 4));
  }
  Parsed p;
  p.type = static_cast<uint8_t>(in[4]);
  size_t pos = 5;
  for (size_t i = 0; i < count; ++i) {
    if (in.size() - pos < 4) return fail(ErrorKind::kInvalid, "privsep frame ends inside a field");
    uint32_t n = get_u32(in.substr(pos));
    pos += 4;
    if (in.size() - pos < n) return fail(ErrorKind::kInvalid, "privsep field runs past the frame");
    p.fields.emplace_back(in.substr(pos, n));
    pos += n;
  }
  if (pos != in.size()) return fail(ErrorKind::kInvalid, "privsep frame has trailing bytes");
  return p;
}

uint8_t peek_type(std::string_view in) { return in.size() >= 5 ? static_cast<uint8_t>(in[4]) : 0; }

}  // namespace

Response Response::success(std::string value) {
  Response r;
  r.ok = true;
  r.value = std::move(value);
  return r;
}

Response Response::failure(const Error& error) {
  Response r;
  r.ok = false;
  r.kind = error.kind();
  r.message = error.message();
  r.detail = error.detail();
  return r;
}

Result<std::string> Response::to_result() const {
  if (ok) return value;
  return fail(kind, message, detail);
}

size_t descriptors_for(RequestType type) {
  switch (type) {
    case RequestType::kDeliverLocal: return 2;
    case RequestType::kPamCheck: return 1;
  }
  return 0;
}

std::string encode_request(const Request& r) {
  switch (r.type) {
    case RequestType::kDeliverLocal:
      return frame(static_cast<uint8_t>(r.type), {r.user, r.sender, r.recipient});
    case RequestType::kPamCheck: return frame(static_cast<uint8_t>(r.type), {r.user, r.password});
  }
  return {};
}

std::string encode_response(const Response& r) {
  if (r.ok) return frame(kResponseOk, {r.value});
  std::string kind(1, static_cast<char>(static_cast<uint8_t>(r.kind)));
  return frame(kResponseError, {kind, r.message, r.detail});
}

Result<Request> decode_request(std::string_view in) {
  Request r;
  switch (peek_type(in)) {
    case static_cast<uint8_t>(RequestType::kDeliverLocal): {
      auto p = parse(in, 3);
      if (!p) return fail(std::move(p).error());
      r.type = RequestType::kDeliverLocal;
      r.user = std::move(p->fields[0]);
      r.sender = std::move(p->fields[1]);
      r.recipient = std::move(p->fields[2]);
      return r;
    }
    case static_cast<uint8_t>(RequestType::kPamCheck): {
      auto p = parse(in, 2);
      if (!p) return fail(std::move(p).error());
      r.type = RequestType::kPamCheck;
      r.user = std::move(p->fields[0]);
      r.password = std::move(p->fields[1]);
      return r;
    }
    default:
      if (in.size() < 5) return fail(ErrorKind::kInvalid, "privsep frame is too short");
      return fail(ErrorKind::kInvalid,
                  fmt::format("unknown privsep request type {}", static_cast<int>(peek_type(in))));
  }
}

Result<Response> decode_response(std::string_view in) {
  switch (peek_type(in)) {
    case kResponseOk: {
      auto p = parse(in, 1);
      if (!p) return fail(std::move(p).error());
      return Response::success(std::move(p->fields[0]));
    }
    case kResponseError: {
      auto p = parse(in, 3);
      if (!p) return fail(std::move(p).error());
      if (p->fields[0].size() != 1 || static_cast<uint8_t>(p->fields[0][0]) > kLastErrorKind) {
        return fail(ErrorKind::kInvalid, "privsep response has an unknown error kind");
      }
      Response r;
      r.ok = false;
      r.kind = static_cast<ErrorKind>(static_cast<uint8_t>(p->fields[0][0]));
      r.message = std::move(p->fields[1]);
      r.detail = std::move(p->fields[2]);
      return r;
    }
    default:
      if (in.size() < 5) return fail(ErrorKind::kInvalid, "privsep frame is too short");
      return fail(ErrorKind::kInvalid,
                  fmt::format("unknown privsep response type {}", static_cast<int>(peek_type(in))));
  }
}

}  // namespace hm::privsep
