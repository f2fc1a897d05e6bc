// libFuzzer target for the one piece of LDAP server output hostmail decodes
// itself: the value of an RFC 4533 Sync Info message, read by the change
// follower (src/directory/ldap/ldap_change_follower). Any bytes must give an
// answer, without a crash, a leak or an out-of-bounds read.
// The normal build replays fuzz/corpus/ldap_sync_info (replay_main.cc).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "directory/ldap/ldap_change_follower.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)hm::directory::ldap::sync_info_ends_refresh(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
