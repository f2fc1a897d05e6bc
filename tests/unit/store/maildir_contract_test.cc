// The contract of store/mailbox.h (mailbox_contract.h) over Maildir.
#include "mailbox_contract.h"
#include "store/maildir/maildir_mailboxes.h"

namespace hm::store::testing {
namespace {

std::unique_ptr<Mailboxes> make_maildir(const std::string& tmpdir, uint64_t quota_bytes) {
  maildir::MaildirAccount account;
  account.root = tmpdir + "/Maildir/";
  account.quota_bytes = quota_bytes;
  account.hostname = "contract.test";
  account.fsync = false;  // the suite checks meaning, not durability
  auto boxes = maildir::MaildirMailboxes::open(std::move(account));
  EXPECT_TRUE(boxes) << (boxes ? "" : boxes.error().describe());
  return boxes ? std::move(*boxes) : nullptr;
}

INSTANTIATE_TEST_SUITE_P(Maildir, MailboxContract,
                         ::testing::Values(ContractBackend{"Maildir", make_maildir}), backend_name);

}  // namespace
}  // namespace hm::store::testing
