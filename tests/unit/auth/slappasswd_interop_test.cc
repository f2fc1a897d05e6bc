// Interoperability with OpenLDAP, both ways.
//
// OpenLDAP -> hostmail: slappasswd (package slapd) makes a hash for every
// scheme it knows, including those of its pw-sha2 and argon2 modules, and
// hostmail must verify it.
//
// hostmail -> OpenLDAP: slappasswd cannot verify a hash, and a throwaway
// slapd for a compare is more machinery than the question deserves. The
// {SSHA}-family layout is simple and public, so an independent
// implementation, Python's hashlib, checks what hostmail writes instead.
// For {CRYPT} the same libcrypt serves slapd and hostmail, and for {ARGON2}
// the same libargon2, so the first direction already covers them.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "auth/password_scheme.h"

namespace hm::auth {
namespace {

// Debian's location; HM_SLAPPASSWD overrides it for other systems.
std::string slappasswd_path() {
  const char* env = std::getenv("HM_SLAPPASSWD");
  return env != nullptr ? env : "/usr/sbin/slappasswd";
}

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct Output {
  int status = -1;
  std::string text;
};

Output run(const std::vector<std::string>& argv) {
  std::string command;
  for (const auto& a : argv) command += shell_quote(a) + " ";
  command += "2>&1";
  Output out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[512];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.text.append(buf, n);
  int status = ::pclose(pipe);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  while (!out.text.empty() && (out.text.back() == '\n' || out.text.back() == '\r')) {
    out.text.pop_back();
  }
  return out;
}

class SlappasswdInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(slappasswd_path().c_str(), X_OK) != 0) {
      FAIL() << slappasswd_path()
             << " is missing: install OpenLDAP's tools with scripts/setup-deps.sh (package slapd)";
    }
  }

  // slappasswd's hash of `password`; empty on failure (already reported).
  std::string slappasswd(std::vector<std::string> args, const std::string& password) {
    std::vector<std::string> argv{slappasswd_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("-s");
    argv.push_back(password);
    Output out = run(argv);
    EXPECT_EQ(out.status, 0) << "slappasswd failed: " << out.text;
    return out.status == 0 ? out.text : std::string();
  }
};

struct SlapCase {
  std::vector<std::string> args;
  std::string expected_prefix;
};

TEST_F(SlappasswdInteropTest, HostmailVerifiesWhatSlappasswdMakes) {
  const std::vector<SlapCase> cases = {
      {{"-h", "{SSHA}"}, "{SSHA}"},
      {{"-h", "{SHA}"}, "{SHA}"},
      {{"-h", "{SMD5}"}, "{SMD5}"},
      {{"-h", "{MD5}"}, "{MD5}"},
      {{"-h", "{CRYPT}"}, "{CRYPT}"},  // traditional DES crypt
      {{"-h", "{CRYPT}", "-c", "$1$%.8s"}, "{CRYPT}$1$"},
      {{"-h", "{CRYPT}", "-c", "$5$%.16s"}, "{CRYPT}$5$"},
      {{"-h", "{CRYPT}", "-c", "$6$%.16s"}, "{CRYPT}$6$"},
      {{"-h", "{CRYPT}", "-c", "$2b$10$%.22s"}, "{CRYPT}$2b$"},
      {{"-h", "{CRYPT}", "-c", "$y$j9T$%.16s"}, "{CRYPT}$y$"},
      {{"-o", "module-load=pw-sha2.la", "-h", "{SSHA256}"}, "{SSHA256}"},
      {{"-o", "module-load=pw-sha2.la", "-h", "{SSHA512}"}, "{SSHA512}"},
      {{"-o", "module-load=pw-sha2.la", "-h", "{SHA256}"}, "{SHA256}"},
      {{"-o", "module-load=pw-sha2.la", "-h", "{SHA512}"}, "{SHA512}"},
      {{"-o", "module-load=argon2.la", "-h", "{ARGON2}"}, "{ARGON2}$argon2"},
  };
  for (const std::string password : {"secret", "p\xc3\xa4ss w'rd\"$x"}) {
    for (const auto& c : cases) {
      std::string hash = slappasswd(c.args, password);
      if (hash.empty()) continue;
      EXPECT_TRUE(hash.starts_with(c.expected_prefix)) << hash;
      auto right = verify_password(hash, password);
      ASSERT_TRUE(right) << hash << ": " << right.error().describe();
      EXPECT_TRUE(*right) << "hostmail rejects slappasswd's " << hash;
      auto wrong = verify_password(hash, password + "!");
      ASSERT_TRUE(wrong) << hash;
      EXPECT_FALSE(*wrong) << hash;
    }
  }
}

// hashlib check of "{SCHEME}base64(digest(pw+salt)+salt)" values. Arguments
// come in pairs (stored, password); prints "match" or "mismatch" for each, one
// per line. One interpreter for all pairs keeps the test quick.
constexpr const char* kPythonCheck = R"(
import base64, hashlib, sys
algs = {"SHA": "sha1", "SSHA": "sha1", "MD5": "md5", "SMD5": "md5",
        "SHA256": "sha256", "SSHA256": "sha256", "SHA512": "sha512", "SSHA512": "sha512"}
args = sys.argv[1:]
for stored, password in zip(args[0::2], args[1::2]):
    scheme, value = stored[1:].split("}", 1)
    alg = algs[scheme]
    raw = base64.b64decode(value, validate=True)
    n = hashlib.new(alg).digest_size
    salt = raw[n:]
    if scheme in ("SSHA", "SMD5", "SSHA256", "SSHA512"):
        assert len(salt) >= 1
    else:
        assert len(salt) == 0
    ok = hashlib.new(alg, password.encode() + salt).digest() == raw[:n]
    print("match" if ok else "mismatch")
)";

TEST(HostmailToPythonTest, IndependentImplementationVerifiesHostmailHashes) {
  std::vector<std::string> argv{"python3", "-c", kPythonCheck};
  std::string expected;
  for (std::string_view scheme :
       {"SSHA", "SHA", "SMD5", "MD5", "SSHA256", "SSHA512", "SHA256", "SHA512"}) {
    for (const std::string password : {"secret", "p\xc3\xa4ss w'rd\"$x"}) {
      auto hashed = hash_password(password, scheme);
      ASSERT_TRUE(hashed) << hashed.error().describe();
      argv.insert(argv.end(), {*hashed, password, *hashed, password + "!"});
      expected += "match\nmismatch\n";
    }
  }
  expected.pop_back();
  Output out = run(argv);
  ASSERT_EQ(out.status, 0) << "python3 is needed for this test (scripts/setup-deps.sh): "
                           << out.text;
  EXPECT_EQ(out.text, expected);
}

}  // namespace
}  // namespace hm::auth
