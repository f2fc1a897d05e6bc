// The contract of store/mailbox.h (mailbox_contract.h) over Maildir.
#include "mailbox_contract.h"
#include "store/maildir/maildir_store.h"

namespace hm::store::testing {
namespace {

// Through the store, as the protocols reach it: a local account's
// ~/Maildir below `tmpdir`.
std::unique_ptr<Mailboxes> make_maildir(const std::string& tmpdir, uint64_t quota_bytes) {
  maildir::MaildirStoreOptions o;
  o.hostname = "contract.test";
  o.fsync = false;  // the suite checks meaning, not durability
  maildir::MaildirStore store(o);
  auto location = store.local_location(tmpdir);
  EXPECT_TRUE(location) << (location ? "" : location.error().describe());
  if (!location) return nullptr;
  auto boxes = store.open_mailboxes(*location, quota_bytes);
  EXPECT_TRUE(boxes) << (boxes ? "" : boxes.error().describe());
  return boxes ? std::move(*boxes) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Maildir, MailboxContract,
                         ::testing::Values(ContractBackend{"Maildir", make_maildir}), backend_name);

}  // namespace
}  // namespace hm::store::testing
