// libFuzzer target for the readers of other servers' files
// (store/maildir/foreign_uid_list.h, courier_files.h): dovecot-uidlist,
// courierimapuiddb, courierimapkeywords/:list and courierimapsubscribed as
// a hostile or damaged file may hold them.
//
// Properties: no input crashes; a parsed list has a UIDVALIDITY and a next
// UID in range and only UIDs in 1..2^32-1; the list made from it (every
// named file present) has strictly ascending UIDs, each base once, all
// below its UIDNEXT, and names only files of the input. Keywords: each
// message's names non-empty and each once; subscriptions: none empty, each
// once.
// The normal build replays fuzz/corpus/foreign_uid_list (replay_main.cc).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/maildir/courier_files.h"
#include "store/maildir/foreign_uid_list.h"

namespace {

using namespace hm::store::maildir;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "property broken: %s\n", what);
  std::abort();
}

void check(const ForeignUidList& foreign) {
  if (foreign.uid_validity == 0) die("UIDVALIDITY 0");
  if (foreign.uid_next == 0 || foreign.uid_next > kMaxUid + 1) die("next UID out of range");
  std::vector<std::pair<std::string, std::string>> present;
  std::set<std::string> names;
  for (const ForeignEntry& e : foreign.entries) {
    if (e.uid == 0) die("UID 0");
    if (e.base.empty()) die("empty name");
    if (names.insert(e.base).second) present.emplace_back(e.base, "S");
  }
  std::vector<std::string> dropped;
  UidList list = list_from_foreign(foreign, present, dropped);
  std::set<std::string> seen;
  for (size_t i = 0; i < list.entries.size(); ++i) {
    const UidEntry& e = list.entries[i];
    if (i > 0 && list.entries[i - 1].uid >= e.uid) die("UIDs not ascending");
    if (e.uid >= list.uid_next) die("UID not below UIDNEXT");
    if (!seen.insert(e.base).second) die("a base twice");
    if (!names.count(e.base)) die("a name not in the input");
  }
  if (list.uid_next > kMaxUid + 1) die("UIDNEXT out of range");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto d = parse_dovecot_uidlist(text)) check(*d);
  if (auto c = parse_courier_uiddb(text)) check(*c);
  for (const auto& [base, names] : parse_courier_keywords(text)) {
    if (base.empty() || names.empty()) die("an empty keyword entry");
    std::set<std::string> once;
    for (const std::string& n : names) {
      if (n.empty() || !once.insert(n).second) die("a keyword empty or twice");
    }
  }
  std::vector<std::string> skipped;
  std::set<std::string> subs;
  for (const std::string& s : parse_courier_subscriptions(text, skipped)) {
    if (s.empty() || !subs.insert(s).second) die("a subscription empty or twice");
  }
  return 0;
}
