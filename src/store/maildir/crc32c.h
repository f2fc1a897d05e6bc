#pragma once
// CRC-32C (Castagnoli), the checksum of the store's index records
// (message_index.h): it finds torn writes and flipped bytes. The SSE 4.2
// instruction computes it where the processor has one (about ten times a
// table's speed, which matters when a 100,000-message index is loaded);
// elsewhere a table does.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string_view>

namespace hm::store::maildir {

// The CRC-32C of `data`, continuing from `crc` (0 to start): crc32c("ab")
// == crc32c("b", crc32c("a")).
uint32_t crc32c(std::string_view data, uint32_t crc = 0);

// The same without the processor's instruction, for tests that compare.
uint32_t crc32c_portable(std::string_view data, uint32_t crc = 0);

}  // namespace hm::store::maildir
