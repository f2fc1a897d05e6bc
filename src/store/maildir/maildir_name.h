#pragma once
// What a Maildir file name says about its message, without reading it:
// "<base>[:2,<flags>]", where <base> is unique in the Maildir and stays the
// same for the life of the message (the info part after ':' changes with
// its flags). hostmail's own names (maildir_delivery.h) and Courier's and
// Dovecot's start with "<seconds>.M<micros>P<pid>..." and may carry
// ",S=<size>" and ",W=<size with CRLF>" in the base.
//
// Flags in the info: the standard ones are the capital letters D (draft),
// F (flagged), P (passed), R (replied), S (seen), T (trashed), kept in
// ASCII order as the convention wants; lower-case letters are Dovecot's
// keywords (kept as they are, not interpreted yet).
//
// Thread-safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hm::store::maildir {

struct MaildirName {
  std::string base;   // without the info
  std::string flags;  // the letters after ":2,", sorted, each once; empty without info
};

// Splits a file name of new/ or cur/. nullopt for a name that is not a
// message: empty, starting with '.', or holding '/' or a control byte.
std::optional<MaildirName> parse_maildir_name(std::string_view name);

// "<base>:2,<flags>" (flags sorted and deduplicated), the name in cur/.
std::string cur_name(std::string_view base, std::string_view flags);

// Sorted, each letter once, only letters (A-Z a-z) kept.
std::string normalize_flags(std::string_view flags);

// The standard flags D F P R S T of `flags`.
std::string standard_flags(std::string_view flags);

// ",S=<n>" and ",W=<n>" of a base name, when present and well formed.
std::optional<uint64_t> size_in_name(std::string_view base);
std::optional<uint64_t> wire_size_in_name(std::string_view base);

// The delivery time a base name starts with: "<seconds>" and, when the
// next part is "M<micros>", the microseconds. nullopt when the name does
// not start with a plausible time.
struct DeliveryTime {
  int64_t seconds = 0;
  int64_t micros = 0;
  friend bool operator<(const DeliveryTime& a, const DeliveryTime& b) {
    return a.seconds != b.seconds ? a.seconds < b.seconds : a.micros < b.micros;
  }
};
std::optional<DeliveryTime> delivery_time_in_name(std::string_view base);

}  // namespace hm::store::maildir
