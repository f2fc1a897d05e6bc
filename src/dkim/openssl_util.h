#pragma once
// OpenSSL handles and helpers shared by the .cc files of src/dkim (included
// only there: OpenSSL stays out of the headers the library's users see).

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace hm::dkim::ossl {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// OpenSSL's reason for the last failure, for the log; clears its queue (per
// thread) so that the next failure does not report this one.
inline std::string reason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no reason given";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

// SHA-256, fed piece by piece; a failure shows at finish().
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
  }
  void update(std::string_view data) {
    ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) == 1;
  }
  Result<std::string> finish() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), md, &size) != 1) {
      return fail(ErrorKind::kInternal, "cannot compute SHA-256 for a DKIM signature", reason());
    }
    return std::string(reinterpret_cast<char*>(md), size);
  }

 private:
  MdCtx ctx_;
  bool ok_ = false;
};

}  // namespace hm::dkim::ossl
