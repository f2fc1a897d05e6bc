#include "net/tls_context.h"

#include "net/tls.h"

namespace hm::net {

Result<std::shared_ptr<TlsContext>> load_tls_context(const std::string& cert_file,
                                                     const std::string& key_file) {
  auto tls = std::make_shared<TlsContext>();
  asio::ssl::context& c = tls->native();
  boost::system::error_code ec;
  c.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1,
                ec);
  if (!ec) c.use_certificate_chain_file(cert_file, ec);
  if (!ec) c.use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return fail(ErrorKind::kInvalid, "cannot load the TLS certificate " + cert_file + " or key " +
                                         key_file + ": " + ec.message());
  }
  return tls;
}

}  // namespace hm::net
