#pragma once
// A self-signed certificate for a fresh installation, so that STARTTLS and
// the implicit-TLS ports work from the first start (`hostmail init` writes
// one; replace it with a real certificate for production).

#include <string>

#include "base/result.h"

namespace hm::net {

// Writes a new P-256 key (mode 0600) and a self-signed certificate for
// `hostname`, "localhost", 127.0.0.1 and ::1, valid for ten years, as PEM.
// Refuses to overwrite existing files (kExists).
Status write_self_signed_cert(const std::string& hostname, const std::string& cert_path,
                              const std::string& key_path);

}  // namespace hm::net
