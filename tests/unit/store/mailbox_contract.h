#pragma once
// The contract of store/mailbox.h as a GoogleTest suite, for every backend:
// a backend instantiates it with a factory (Maildir: maildir_contract_test.cc;
// the in-memory store likewise):
//
//   INSTANTIATE_TEST_SUITE_P(Maildir, MailboxContract,
//                            ::testing::Values(hm::store::testing::ContractBackend{
//                                "Maildir", make_maildir_mailboxes}),
//                            hm::store::testing::backend_name);
//
// The suite knows no paths or files: whatever it checks, every backend
// promises. Where store/mailbox.h leaves a choice, the suite makes it:
// - a new account's Sent, Drafts, Trash, Junk and Archive are subscribed,
//   and a default folder the user deleted is not made again;
// - creating the INBOX, or renaming onto it, fails (any kind); creating an
//   existing folder, or renaming onto one, is kExists;
// - a keyword that is no IMAP atom ("two words") is kInvalid;
// - \Recent: the first read-write view to sync a message gets it, read-only
//   views never;
// - MOVE within the account is never refused for quota (it takes no more
//   room), APPEND and COPY are; an expunge frees room at once;
// - expunged_since() never returns a UID that is still in the view.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "store/mailbox.h"

namespace hm::store::testing {

// The Mailboxes of the account kept below `tmpdir` (a folder the suite
// makes, empty at first and removed after the test) under a quota of
// `quota_bytes` (0: none). Called again with the same `tmpdir`, it gives
// the same account, as another session (or process) would see it.
using MailboxesFactory =
    std::function<std::unique_ptr<Mailboxes>(const std::string& tmpdir, uint64_t quota_bytes)>;

struct ContractBackend {
  std::string name;
  MailboxesFactory make;
};

inline std::string backend_name(const ::testing::TestParamInfo<ContractBackend>& info) {
  return info.param.name;
}

class MailboxContract : public ::testing::TestWithParam<ContractBackend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A session on the test's account (a new one each call).
  std::unique_ptr<Mailboxes> session(uint64_t quota_bytes = 0);
  // Opens `name` through `boxes`, failing the test when it cannot.
  std::unique_ptr<Mailbox> open(Mailboxes& boxes, const FolderName& name, bool read_only = false);
  // Appends one message; its UID.
  uint32_t append(Mailboxes& boxes, const FolderName& to, const std::string& text,
                  uint8_t flags = 0, std::vector<std::string> keywords = {},
                  std::optional<int64_t> date = std::nullopt);

  std::string dir_;
};

}  // namespace hm::store::testing
