#include "net/self_signed_cert.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

namespace hm::net {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};
struct FileClose {
  void operator()(FILE* f) const { std::fclose(f); }
};

Error openssl_failure(const std::string& what) {
  return Error(ErrorKind::kInternal, "cannot create a self-signed certificate: " + what);
}

// Opens a new file (never an existing one) with the given mode.
Result<std::unique_ptr<FILE, FileClose>> create_file(const std::string& path, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return fail(ErrorKind::kExists, path + " exists already; remove it to make a new one");
    }
    return fail(ErrorKind::kPermission, "cannot create " + path);
  }
  FILE* f = fdopen(fd, "w");
  if (f == nullptr) {
    ::close(fd);
    return fail(ErrorKind::kInternal, "cannot open " + path);
  }
  return std::unique_ptr<FILE, FileClose>(f);
}

bool add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

}  // namespace

Status write_self_signed_cert(const std::string& hostname, const std::string& cert_path,
                              const std::string& key_path) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) return fail(openssl_failure("key generation failed"));

  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) return fail(openssl_failure("out of memory"));
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial[16];
  FILE* urandom = std::fopen("/dev/urandom", "rb");
  if (urandom == nullptr || std::fread(serial, 1, sizeof serial, urandom) != sizeof serial) {
    if (urandom) std::fclose(urandom);
    return fail(openssl_failure("no random serial number"));
  }
  std::fclose(urandom);
  serial[0] &= 0x7f;  // a positive INTEGER
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("hostmail self-signed"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  std::string san = "DNS:" + hostname + ",DNS:localhost,IP:127.0.0.1,IP:::1";
  if (!add_extension(cert.get(), NID_subject_alt_name, san) ||
      !add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), NID_ext_key_usage, "serverAuth")) {
    return fail(openssl_failure("bad certificate extension (is the hostname valid?)"));
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return fail(openssl_failure("signing failed"));
  }

  auto key_file = create_file(key_path, 0600);
  if (!key_file) return fail(std::move(key_file).error());
  if (PEM_write_PrivateKey(key_file->get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      std::fflush(key_file->get()) != 0) {
    return fail(openssl_failure("cannot write " + key_path));
  }
  auto cert_file = create_file(cert_path, 0644);
  if (!cert_file) return fail(std::move(cert_file).error());
  if (PEM_write_X509(cert_file->get(), cert.get()) != 1 || std::fflush(cert_file->get()) != 0) {
    return fail(openssl_failure("cannot write " + cert_path));
  }
  return ok();
}

}  // namespace hm::net
