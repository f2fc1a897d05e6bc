// libFuzzer target for src/ldif: any input must either fail to parse with an
// error, or parse to records that write() turns into text parsing back to the
// same records. DNs met on the way must survive format_dn()/parse_dn().
// The normal build replays fuzz/corpus/ldif through this file (replay_main.cc).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ldif/dn.h"
#include "ldif/ldif.h"

namespace {

using hm::ldif::Record;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "ldif_fuzz: %s\n", what);
  std::abort();
}

bool same_records(const std::vector<Record>& a, const std::vector<Record>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].dn != b[i].dn || a[i].change != b[i].change || a[i].attributes != b[i].attributes ||
        a[i].modifications != b[i].modifications) {
      return false;
    }
  }
  return true;
}

void check_dn(std::string_view dn) {
  auto rdns = hm::ldif::parse_dn(dn);
  (void)hm::ldif::normalize_dn(dn);
  if (!rdns) return;
  auto again = hm::ldif::parse_dn(hm::ldif::format_dn(*rdns));
  if (!again) die("format_dn() wrote a DN that parse_dn() rejects");
  if (*again != *rdns) die("format_dn()/parse_dn() changed the RDNs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_dn(text);
  auto records = hm::ldif::parse(text);
  if (!records) {
    if (records.error().message().rfind("line ", 0) != 0) die("an error without a line number");
    return 0;
  }
  const std::string written = hm::ldif::write(*records);
  auto again = hm::ldif::parse(written);
  if (!again) {
    std::fprintf(stderr, "%s\n---\n%s\n", again.error().message().c_str(), written.c_str());
    die("write() produced text that parse() rejects");
  }
  if (!same_records(*records, *again)) die("write()/parse() changed the records");
  if (hm::ldif::write(*again) != written) die("write() is not stable");
  for (const Record& r : *records) check_dn(r.dn);
  return 0;
}
