#pragma once
// The TLS context of a listener, as Asio needs it. Internal to servers and
// sessions (Asio inside); everything else sees net/tls_context.h.

#include "net/asio.h"
#include "net/tls_context.h"

namespace hm::net {

class TlsContext {
 public:
  TlsContext() : context_(asio::ssl::context::tls_server) {}
  asio::ssl::context& native() { return context_; }

 private:
  asio::ssl::context context_;
};

}  // namespace hm::net
