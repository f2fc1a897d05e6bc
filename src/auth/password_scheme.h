#pragma once
// Password hashes in the `{SCHEME}value` form of OpenLDAP's userPassword, so
// that hashes move both ways between hostmail and slappasswd / slapd.
//
// Schemes (names case-insensitive, see docs/password-schemes.md):
//   SSHA SMD5 SSHA256 SSHA512   base64(digest(password + salt) + salt), 8-byte salt
//   SHA MD5 SHA256 SHA512       base64(digest(password)); legacy, unsalted
//   CRYPT                       libcrypt; CRYPT alone is yescrypt ($y$), or pick the
//                               method: CRYPT-YESCRYPT, CRYPT-SHA512, CRYPT-SHA256,
//                               CRYPT-BCRYPT, CRYPT-MD5 (all stored as {CRYPT})
//   ARGON2ID                    {ARGON2ID}$argon2id$v=19$m=..,t=..,p=..$salt$hash
//   ARGON2                      the same argon2id string under OpenLDAP's {ARGON2}
//                               prefix, which slapd's argon2 module verifies
//
// Clear text is never stored and never compared: {CLEARTEXT} and values
// without a {SCHEME} prefix do not verify.
//
// Thread-safety: all functions are safe to call from several threads at once
// (crypt_rn and libargon2 keep their state on the caller's side; salts come
// from OpenSSL's thread-safe RAND_bytes). The slow schemes (CRYPT, ARGON2*)
// take tens of milliseconds of CPU and, for argon2, ~19 MiB of memory: call
// them from a worker pool, not from an I/O thread.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::auth {

// The scheme new passwords get unless configured otherwise: yescrypt through
// libcrypt, stored as {CRYPT}$y$... (the reason is in docs/password-schemes.md).
constexpr std::string_view default_scheme() { return "CRYPT-YESCRYPT"; }

// Every scheme name hash_password accepts, upper case, in a stable order.
std::vector<std::string> supported_schemes();

// Hashes `password` with a fresh random salt. Returns "{SCHEME}...".
// Errors: kInvalid for an unknown scheme name, or a NUL byte in the password
// for CRYPT (libcrypt would silently cut the password there); kInternal when
// the random source or a library fails.
Result<std::string> hash_password(std::string_view password, std::string_view scheme);

// Checks `password` against a stored "{SCHEME}..." value in constant time.
// Ok(true) it matches; Ok(false) it does not, or `stored` has no {SCHEME}
// prefix at all (empty, or clear text). Errors: kInvalid naming the scheme
// when the scheme is unknown or refused ({CLEARTEXT}) or the hash is
// malformed (bad base64, truncated, argon2 cost beyond sane limits);
// kTemporary when memory for argon2 cannot be had.
Result<bool> verify_password(std::string_view stored, std::string_view password);

}  // namespace hm::auth
