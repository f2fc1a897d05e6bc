#pragma once
// DNS messages built by hand for the relay's tests: answers for
// dns_answer_test and a small authoritative responder on loopback
// (dns_responder.h) for resolve_test. Only what those tests need: one
// question, A, AAAA, MX and CNAME records, any RCODE.

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hm::relay::test {

enum RecordType : uint16_t { kA = 1, kCname = 5, kMx = 15, kAaaa = 28 };
enum Rcode : uint8_t { kNoError = 0, kServFail = 2, kNxDomain = 3, kRefused = 5 };

struct Record {
  std::string name;
  uint16_t type = kA;
  std::string data;         // A/AAAA: address text; CNAME/MX: a name ("" or "." the root)
  uint16_t preference = 0;  // MX
};

inline void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

inline void put_name(std::string& out, std::string_view name) {
  while (!name.empty() && name != ".") {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    out.push_back(static_cast<char>(label.size()));
    out.append(label);
    name = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
  }
  out.push_back('\0');
}

inline std::string rdata(const Record& r) {
  std::string out;
  if (r.type == kA) {
    in_addr a{};
    inet_pton(AF_INET, r.data.c_str(), &a);
    out.assign(reinterpret_cast<const char*>(&a), sizeof(a));
  } else if (r.type == kAaaa) {
    in6_addr a{};
    inet_pton(AF_INET6, r.data.c_str(), &a);
    out.assign(reinterpret_cast<const char*>(&a), sizeof(a));
  } else if (r.type == kMx) {
    put16(out, r.preference);
    put_name(out, r.data);
  } else {
    put_name(out, r.data);
  }
  return out;
}

// A response to (qname, qtype) with the given id, RCODE and answers.
inline std::string response(uint16_t id, std::string_view qname, uint16_t qtype, uint8_t rcode,
                            const std::vector<Record>& answers) {
  std::string out;
  put16(out, id);
  put16(out, static_cast<uint16_t>(0x8180 | rcode));  // QR, RD, RA
  put16(out, 1);
  put16(out, static_cast<uint16_t>(answers.size()));
  put16(out, 0);
  put16(out, 0);
  put_name(out, qname);
  put16(out, qtype);
  put16(out, 1);  // IN
  for (const Record& r : answers) {
    put_name(out, r.name);
    put16(out, r.type);
    put16(out, 1);
    put16(out, 0);
    put16(out, 300);  // TTL
    std::string data = rdata(r);
    put16(out, static_cast<uint16_t>(data.size()));
    out += data;
  }
  return out;
}

// The id, name (lower case, no trailing dot) and type of a query; false if
// it cannot be read.
inline bool read_question(std::string_view q, uint16_t& id, std::string& name, uint16_t& type) {
  if (q.size() < 12) return false;
  auto u16 = [&](size_t i) {
    return static_cast<uint16_t>((static_cast<uint8_t>(q[i]) << 8) |
                                 static_cast<uint8_t>(q[i + 1]));
  };
  id = u16(0);
  size_t i = 12;
  name.clear();
  while (i < q.size() && q[i] != 0) {
    size_t len = static_cast<uint8_t>(q[i]);
    if (len > 63 || i + 1 + len > q.size()) return false;
    if (!name.empty()) name += '.';
    for (size_t k = 0; k < len; ++k) name += static_cast<char>(std::tolower(q[i + 1 + k]));
    i += 1 + len;
  }
  if (i + 5 > q.size()) return false;
  type = u16(i + 1);
  return true;
}

}  // namespace hm::relay::test
