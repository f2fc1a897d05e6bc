#include "relay/dns_client.h"

#include <ares.h>
#include <arpa/nameser.h>

#include <fmt/format.h>

#include <functional>
#include <mutex>

#include "base/strings.h"

namespace hm::relay {

// One socket of c-ares', watched without being owned: release(), never
// close(), gives it back.
struct DnsClient::Watch {
  explicit Watch(asio::any_io_executor executor, int fd) : descriptor(executor, fd) {}
  ~Watch() {
    boost::system::error_code ignored;
    descriptor.cancel(ignored);
    (void)descriptor.release();
  }
  asio::posix::stream_descriptor descriptor;
  bool want_read = false;
  bool want_write = false;
  bool reading = false;
  bool writing = false;
};

DnsFailure classify(int status) {
  switch (status) {
    case ARES_SUCCESS: return DnsFailure::kNone;
    case ARES_ENODATA: return DnsFailure::kNoData;
    case ARES_ENOTFOUND: return DnsFailure::kNoDomain;
    default: return DnsFailure::kTemporary;
  }
}

DnsClient::DnsClient(asio::any_io_executor executor) : executor_(executor), timer_(executor) {}

Result<std::shared_ptr<DnsClient>> DnsClient::create(asio::any_io_executor executor,
                                                     const DnsOptions& options) {
  static std::once_flag library;
  static int library_status = ARES_SUCCESS;
  std::call_once(library, [] { library_status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (library_status != ARES_SUCCESS) {
    return fail(ErrorKind::kInternal, "cannot start the DNS resolver",
                ares_strerror(library_status));
  }
  std::shared_ptr<DnsClient> client(new DnsClient(executor));
  ares_options o{};
  // No search list, no HOSTALIASES: mail domains are always absolute.
  o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
  o.timeout = static_cast<int>(options.timeout_ms);
  o.tries = static_cast<int>(options.tries);
  o.sock_state_cb = &DnsClient::on_socket_state;
  o.sock_state_cb_data = client.get();
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
  int status = ares_init_options(&client->channel_, &o, mask);
  if (status != ARES_SUCCESS) {
    client->channel_ = nullptr;
    return fail(ErrorKind::kInternal, "cannot start the DNS resolver", ares_strerror(status));
  }
  if (!options.servers.empty()) {
    std::string csv = join(options.servers, ",");
    status = ares_set_servers_ports_csv(client->channel_, csv.c_str());
    if (status != ARES_SUCCESS) {
      return fail(ErrorKind::kInvalid,
                  fmt::format("DNS servers \"{}\": write each as an IP address, optionally "
                              "with a port (\"192.0.2.53\", \"127.0.0.1:5353\", \"[::1]:53\")",
                              csv),
                  ares_strerror(status));
    }
  }
  return client;
}

DnsClient::~DnsClient() {
  // Pending queries end with ARES_EDESTRUCTION; their callbacks only post.
  if (channel_ != nullptr) ares_destroy(channel_);
  watches_.clear();
}

void DnsClient::on_socket_state(void* self, int fd, int readable, int writable) {
  static_cast<DnsClient*>(self)->watch(fd, readable != 0, writable != 0);
}

void DnsClient::watch(int fd, bool readable, bool writable) {
  if (!readable && !writable) {
    watches_.erase(fd);  // c-ares is about to close it
    return;
  }
  auto& slot = watches_[fd];
  if (!slot) slot = std::make_unique<Watch>(executor_, fd);
  slot->want_read = readable;
  slot->want_write = writable;
  if (readable && !slot->reading) wait(fd, true);
  if (writable && !slot->writing) wait(fd, false);
}

void DnsClient::wait(int fd, bool for_read) {
  Watch& w = *watches_.at(fd);
  (for_read ? w.reading : w.writing) = true;
  std::weak_ptr<DnsClient> weak = weak_from_this();
  w.descriptor.async_wait(
      for_read ? asio::posix::descriptor_base::wait_read : asio::posix::descriptor_base::wait_write,
      [weak, fd, for_read](const boost::system::error_code& error) {
        std::shared_ptr<DnsClient> self = weak.lock();
        if (!self) return;
        auto it = self->watches_.find(fd);
        if (it == self->watches_.end()) return;
        Watch& w = *it->second;
        (for_read ? w.reading : w.writing) = false;
        if (error) return;  // released or cancelled: c-ares moved on
        ares_process_fd(self->channel_, for_read ? fd : ARES_SOCKET_BAD,
                        for_read ? ARES_SOCKET_BAD : fd);
        // Processing may have closed the socket, or a new one may reuse the
        // number: look again before waiting on it.
        it = self->watches_.find(fd);
        if (it != self->watches_.end()) {
          Watch& again = *it->second;
          if (for_read && again.want_read && !again.reading) self->wait(fd, true);
          if (!for_read && again.want_write && !again.writing) self->wait(fd, false);
        }
        self->arm_timer();
      });
}

void DnsClient::arm_timer() {
  timeval tv{};
  if (ares_timeout(channel_, nullptr, &tv) == nullptr) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
  std::weak_ptr<DnsClient> weak = weak_from_this();
  timer_.async_wait([weak](const boost::system::error_code& error) {
    if (error) return;
    std::shared_ptr<DnsClient> self = weak.lock();
    if (!self) return;
    // No socket named: c-ares handles its timeouts and retransmissions.
    ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    self->arm_timer();
  });
}

asio::awaitable<DnsReply> DnsClient::query(std::string name, int type) {
  // Keeps the client alive while the query is out.
  std::shared_ptr<DnsClient> self = shared_from_this();
  DnsReply reply = co_await net::await_callback<DnsReply>([&](auto done) {
    using Done = std::function<void(DnsReply)>;
    auto* callback = new Done(std::move(done));
    ares_query(
        channel_, name.c_str(), ns_c_in, type,
        [](void* arg, int status, int /*timeouts*/, unsigned char* answer, int length) {
          std::unique_ptr<Done> done(static_cast<Done*>(arg));
          DnsReply r{status, {}};
          if (answer != nullptr && length > 0)
            r.answer.assign(reinterpret_cast<char*>(answer), static_cast<size_t>(length));
          (*done)(std::move(r));
        },
        callback);
    arm_timer();
  });
  co_return reply;
}

}  // namespace hm::relay
