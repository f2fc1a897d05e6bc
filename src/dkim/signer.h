#pragma once
// dkim::Signer: makes the DKIM-Signature header field (RFC 6376) of a
// message from a hosted domain, with relaxed/relaxed canonicalization and
// rsa-sha256 or ed25519-sha256 (RFC 8463), whichever the key is.
//
// Where it is called: by the outbound relay (relay/remote_transport.h),
// once per message, just before the message leaves: it finds the key of
// the sender's domain in the KeyStore (key_store.h) and sends the returned
// field in front of the message.
//
// What it signs (h=): the fields of SignerOptions::headers that the message
// has, each instance of them, and the names of SignerOptions::oversign once
// more than they occur. A name listed once more than it occurs signs the
// absence of a further instance (RFC 6376 5.4.2, 8.15): a From: field added
// later, above or below ours, breaks the signature instead of being shown to
// the reader as the author while the signature still verifies over the
// original one. From is the field DMARC and the reader's eyes rely on, so
// it is oversigned by default.
//
// The field is folded at 78 columns where its syntax allows (between tags,
// after the colons of h=, inside bh= and b=); only a selector or domain
// longer than a line is left unfolded (the 998-octet limit still holds).
//
// Thread-safe: sign() is const and keeps nothing between calls; one Signer
// serves every thread.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dkim/signing_key.h"

namespace hm::dkim {

struct SignerOptions {
  // The fields signed when present, in this order; matched without regard
  // to case.
  std::vector<std::string> headers = {"From",         "To",           "Cc",
                                      "Subject",      "Date",         "Message-ID",
                                      "Reply-To",     "In-Reply-To",  "References",
                                      "MIME-Version", "Content-Type", "Content-Transfer-Encoding"};
  // Named once more in h= than they occur (see above); only names that
  // `headers` lists too.
  std::vector<std::string> oversign = {"From"};
  // t= (the signing time); tests fix it.
  std::function<std::chrono::system_clock::time_point()> clock = [] {
    return std::chrono::system_clock::now();
  };
};

// At most this many fields are signed, so that a message of a million
// "To:" lines cannot make the signer spend memory without bound; past it
// sign() fails with kLimit.
inline constexpr size_t kMaxSignedFields = 1000;

class Signer {
 public:
  explicit Signer(SignerOptions options = {});

  // The "DKIM-Signature: ...\r\n" field to put in front of `message_wire`
  // (the message as it will be sent: CRLF line ends, no dot-stuffing).
  // Never fails on a malformed message (see header_reader.h for how one is
  // read); kLimit past kMaxSignedFields; kInternal when OpenSSL fails.
  Result<std::string> sign(std::string_view message_wire, const SigningKey& key) const;

 private:
  SignerOptions options_;
};

}  // namespace hm::dkim
