#pragma once
// Certificates for STARTTLS and implicit TLS, loaded once per file pair.
// Loaded at start, before root drops its privileges, so a private key that
// only root may read works (as Postfix and Dovecot read theirs). Asio-free:
// the context's inside is in net/tls.h.

#include <memory>
#include <string>

#include "base/result.h"

namespace hm::net {

class TlsContext;

// TLS 1.2 and later, the certificate chain and key as PEM files. Errors
// name both files and what OpenSSL said.
Result<std::shared_ptr<TlsContext>> load_tls_context(const std::string& cert_file,
                                                     const std::string& key_file);

}  // namespace hm::net
