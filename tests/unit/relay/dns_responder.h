#pragma once
// A DNS server on 127.0.0.1 (a port of the kernel's choosing) for the
// relay's tests: answers from a table, on the test's own io_context.
// A name without an entry of the asked type gets NOERROR without records
// when it has entries of other types, NXDOMAIN otherwise; an entry may
// instead answer SERVFAIL, or not at all (a timeout).

#include <cctype>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dns_message.h"
#include "net/asio.h"

namespace hm::relay::test {

namespace asio = net::asio;

struct Entry {
  std::vector<Record> answers{};
  uint8_t rcode = kNoError;
  bool silent = false;  // never answer
};

class DnsResponder {
 public:
  explicit DnsResponder(asio::io_context& io)
      : socket_(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    receive();
  }

  std::string server() const {
    return "127.0.0.1:" + std::to_string(socket_.local_endpoint().port());
  }

  void add(const std::string& name, uint16_t type, Entry entry) {
    zone_[{name, type}] = std::move(entry);
  }
  // Shorthands.
  void mx(const std::string& domain, uint16_t preference, const std::string& host) {
    zone_[{domain, kMx}].answers.push_back(Record{domain, kMx, host, preference});
  }
  void a(const std::string& host, const std::string& address) {
    zone_[{host, kA}].answers.push_back(Record{host, kA, address});
  }
  void aaaa(const std::string& host, const std::string& address) {
    zone_[{host, kAaaa}].answers.push_back(Record{host, kAaaa, address});
  }

  int queries(const std::string& name) const {
    auto it = counts_.find(name);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  void receive() {
    socket_.async_receive_from(asio::buffer(buffer_), peer_,
                               [this](const boost::system::error_code& error, size_t size) {
                                 if (error) return;
                                 answer(std::string(buffer_, size));
                                 receive();
                               });
  }

  void answer(const std::string& query) {
    uint16_t id = 0, type = 0;
    std::string name;
    if (!read_question(query, id, name, type)) return;
    ++counts_[name];
    std::string reply;
    auto it = zone_.find({name, type});
    if (it != zone_.end()) {
      if (it->second.silent) return;
      reply = response(id, name, type, it->second.rcode, it->second.answers);
    } else {
      bool exists = false;
      for (const auto& [key, entry] : zone_) exists = exists || key.first == name;
      reply = response(id, name, type, exists ? kNoError : kNxDomain, {});
    }
    socket_.send_to(asio::buffer(reply), peer_);
  }

  asio::ip::udp::socket socket_;
  asio::ip::udp::endpoint peer_;
  char buffer_[1500];
  std::map<std::pair<std::string, uint16_t>, Entry> zone_;
  std::map<std::string, int> counts_;
};

}  // namespace hm::relay::test
