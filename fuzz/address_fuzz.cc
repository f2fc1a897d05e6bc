// libFuzzer target for address normalisation (src/directory/address) and the
// Maildir path rule built on it (src/store/mailbox_path): addresses come from
// SMTP clients, and mailbox attributes from a directory tenants may write.
//
// Properties: normalising is idempotent (a normalised address normalises to
// itself); and whatever the mailbox attribute, a path that
// virtual_maildir_path() accepts lies strictly inside <base>/<domain>/ and has
// no "." or ".." part. The input is split at its first NUL byte into an
// address and a mailbox attribute.
// The normal build replays fuzz/corpus/address (replay_main.cc).

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "directory/address.h"
#include "store/mailbox_path.h"

namespace {

[[noreturn]] void die(const char* what, std::string_view input) {
  std::fprintf(stderr, "address_fuzz: %s: %.*s\n", what, static_cast<int>(input.size()),
               input.data());
  std::abort();
}

void idempotent(std::string_view input) {
  using namespace hm::directory;
  if (auto a = normalize_address(input)) {
    auto again = normalize_address(*a);
    if (!again || *again != *a) die("normalize_address is not idempotent", input);
    if (domain_of(*a).empty()) die("a normalised address without a domain", input);
  }
  if (auto m = normalize_maildrop(input)) {
    auto again = normalize_maildrop(*m);
    if (!again || *again != *m) die("normalize_maildrop is not idempotent", input);
  }
  if (auto a = normalize_alias_address(input)) {
    auto again = normalize_alias_address(*a);
    if (!again || *again != *a) die("normalize_alias_address is not idempotent", input);
  }
}

void stays_inside(std::string_view address, std::string_view mailbox) {
  const std::string base = "/base";
  auto path = hm::store::virtual_maildir_path(base, address, mailbox);
  if (!path) return;
  std::string_view domain = hm::directory::domain_of(address);
  std::string_view rest(*path);
  if (rest.substr(0, base.size() + 1) != base + "/") die("outside the base", mailbox);
  rest.remove_prefix(base.size() + 1);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
    die("the domain folder itself", mailbox);
  }
  std::string first(rest.substr(0, slash));
  for (char& c : first) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string wanted(domain);
  for (char& c : wanted) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (first != wanted) die("another domain's folder", mailbox);
  std::string_view body = rest;
  if (!body.empty() && body.back() == '/') body.remove_suffix(1);
  while (true) {
    size_t end = body.find('/');
    std::string_view part = body.substr(0, end);
    if (part.empty() || part == "." || part == "..") die("an empty or dot part", mailbox);
    if (end == std::string_view::npos) break;
    body.remove_prefix(end + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string_view address = input.substr(0, nul);
  idempotent(address);
  if (nul != std::string_view::npos) {
    std::string_view mailbox = input.substr(nul + 1);
    stays_inside(address, mailbox);
    if (auto a = hm::directory::normalize_address(address)) stays_inside(*a, mailbox);
  }
  return 0;
}
