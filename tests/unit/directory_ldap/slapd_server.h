#pragma once
// A private, throw-away OpenLDAP slapd for tests: its own temporary folder
// (slapd.conf, mdb database, log), the standard schemas plus
// docs/ldap/courier.schema, listening on a free port of 127.0.0.1 only.
// Started in the foreground ("-d none") so that the PID we hold is slapd
// itself, and stopped by that PID: nothing else on the machine is touched.
// The child asks the kernel for SIGTERM should the test process die first.
//
// The tree gets its suffix (dc=myhosting,dc=example) and the hosting base
// (o=hosting,...) at start. The rootdn (cn=Manager,dc=myhosting,dc=example)
// may do everything; the ACLs are those of docs/ldap/slapd.conf.example.
//
// With syncprov, the database has slapd's syncprov overlay, so that clients
// may follow its changes (RFC 4533 content synchronization).
//
// Not thread-safe: one test thread drives it.

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/result.h"

namespace hm::directory::ldap::testing {

inline constexpr char kSlapdPath[] = "/usr/sbin/slapd";
inline constexpr char kSuffix[] = "dc=myhosting,dc=example";
inline constexpr char kBase[] = "o=hosting,dc=myhosting,dc=example";
inline constexpr char kRootDn[] = "cn=Manager,dc=myhosting,dc=example";

struct SlapdOptions {
  bool syncprov = false;
  int size_limit = 0;  // slapd's sizelimit for all but the rootdn; 0: its default
};

class SlapdServer {
 public:
  // Fails with a message that says to run scripts/setup-deps.sh when slapd
  // is not installed, and with slapd's own output when it does not start.
  static Result<std::unique_ptr<SlapdServer>> start(SlapdOptions options = {});
  ~SlapdServer();
  SlapdServer(const SlapdServer&) = delete;
  SlapdServer& operator=(const SlapdServer&) = delete;

  const std::string& uri() const { return uri_; }
  const std::string& root_password() const { return root_password_; }
  const std::filesystem::path& dir() const { return dir_; }

  // SIGTERM and wait (SIGKILL after 10 s); the database stays.
  void stop();
  // Starts slapd again on the same port with the same database.
  Status restart();
  bool running() const { return pid_ > 0; }

 private:
  SlapdServer() = default;
  Status write_config();
  // False when the port was taken; an error when slapd failed otherwise.
  Result<bool> launch(int port);
  Status wait_until_answering();

  SlapdOptions options_;
  std::filesystem::path dir_;
  std::string uri_;
  int port_ = 0;
  std::string root_password_;
  pid_t pid_ = -1;
};

}  // namespace hm::directory::ldap::testing
