// The contract of store/mailbox.h (tests/unit/store/mailbox_contract.h)
// over the in-memory store.
#include <map>
#include <mutex>

#include "store/memory/memory_store.h"
#include "unit/store/mailbox_contract.h"

namespace hm::store::testing {
namespace {

// One account per test folder: a second session of a test reaches the
// same account, as it would the same Maildir.
std::unique_ptr<Mailboxes> make_memory(const std::string& tmpdir, uint64_t quota_bytes) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<memory::MemoryAccount>> accounts;
  std::lock_guard lock(mutex);
  auto& account = accounts[tmpdir];
  if (!account) {
    account = memory::make_memory_account(quota_bytes);
  } else {
    account->set_quota(quota_bytes);
  }
  return memory::open(account);
}

INSTANTIATE_TEST_SUITE_P(Memory, MailboxContract,
                         ::testing::Values(ContractBackend{"Memory", make_memory}), backend_name);

}  // namespace
}  // namespace hm::store::testing
