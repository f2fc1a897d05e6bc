// The authenticated state's commands on folders (RFC 3501 6.3): CREATE
// (with CREATE-SPECIAL-USE), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE,
// STATUS, NAMESPACE (RFC 2342), and GETQUOTA/GETQUOTAROOT (RFC 9208).
// Every mailbox name goes through MailboxNames first: a name it refuses
// never reaches the store.

#include <algorithm>

#include "imap/proto/mutf7.h"
#include "imap/session/session.h"

namespace hm::imap {

namespace {

// The special-use attributes CREATE ... (USE (...)) may give (RFC 6154 2).
bool known_special_use(std::string_view attr) {
  for (std::string_view known : {"\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive"}) {
    if (attr.size() == known.size() &&
        std::equal(attr.begin(), attr.end(), known.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(b);
        })) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<store::FolderName> Session::folder_of(const proto::Command& c,
                                                    std::string_view name) {
  auto folder = ctx_.names.to_folder(name);
  if (!folder) {
    no(c, "CANNOT", folder.error().message());
    return std::nullopt;
  }
  return std::move(*folder);
}

asio::awaitable<void> Session::do_create(const proto::Command& c) {
  const auto& args = std::get<proto::MailboxArgs>(c.args);
  std::string_view name = args.mailbox;
  // RFC 3501 6.3.3: a trailing separator only says children will follow.
  if (name.size() > 1 && name.back() == ctx_.names.separator()) name.remove_suffix(1);
  auto folder = folder_of(c, name);
  if (!folder) co_return;
  if (folder->empty()) {
    no(c, "ALREADYEXISTS", "INBOX always exists");
    co_return;
  }
  for (const std::string& attr : args.special_use) {
    if (!known_special_use(attr)) {
      no(c, "USEATTR",
         "Unknown special-use attribute " + attr +
             " (use \\Sent, \\Drafts, \\Trash, \\Junk or \\Archive)");
      co_return;
    }
  }
  Status done = co_await blocking([&] { return boxes_->create(*folder, args.special_use); });
  if (!done) {
    store_error(c, done.error());
    co_return;
  }
  ok(c, "CREATE completed");
}

asio::awaitable<void> Session::do_delete(const proto::Command& c) {
  auto folder = folder_of(c, std::get<proto::MailboxArgs>(c.args).mailbox);
  if (!folder) co_return;
  if (folder->empty()) {
    no(c, "CANNOT", "INBOX cannot be deleted");
    co_return;
  }
  if (state_ == State::kSelected && *folder == selected_folder_) {
    // The client deletes what it has open: close it first, as if UNSELECT
    // (RFC 7162 3.2.11's CLOSED says the mailbox is gone from view).
    co_await close_mailbox(false);
    untagged("OK [CLOSED] The selected mailbox is being deleted");
  }
  Status done = co_await blocking([&] { return boxes_->remove(*folder); });
  if (!done) {
    store_error(c, done.error());
    co_return;
  }
  ok(c, "DELETE completed");
}

asio::awaitable<void> Session::do_rename(const proto::Command& c) {
  const auto& args = std::get<proto::RenameArgs>(c.args);
  auto from = folder_of(c, args.from);
  if (!from) co_return;
  auto to = folder_of(c, args.to);
  if (!to) co_return;
  if (to->empty()) {
    no(c, "ALREADYEXISTS", "INBOX always exists");
    co_return;
  }
  Status done = co_await blocking([&] { return boxes_->rename(*from, *to); });
  if (!done) {
    store_error(c, done.error());
    co_return;
  }
  ok(c, "RENAME completed");
}

asio::awaitable<void> Session::do_subscribe(const proto::Command& c, bool subscribe) {
  auto folder = folder_of(c, std::get<proto::MailboxArgs>(c.args).mailbox);
  if (!folder) co_return;
  Status done = co_await blocking([&] { return boxes_->subscribe(*folder, subscribe); });
  if (!done) {
    store_error(c, done.error());
    co_return;
  }
  ok(c, subscribe ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
}

std::string Session::status_line(std::string_view name, const store::MailboxStatus& s,
                                 const std::vector<std::string>& items) const {
  std::string line = "STATUS ";
  proto::append_astring(line, proto::mutf7_encode(name).value_or(std::string(name)));
  line += " (";
  bool first = true;
  auto item = [&](std::string_view key, uint64_t value) {
    if (!first) line += ' ';
    first = false;
    line += key;
    line += ' ';
    line += std::to_string(value);
  };
  for (const std::string& i : items) {
    if (i == "MESSAGES")
      item(i, s.messages);
    else if (i == "RECENT")
      item(i, s.recent);
    else if (i == "UIDNEXT")
      item(i, s.uid_next);
    else if (i == "UIDVALIDITY")
      item(i, s.uid_validity);
    else if (i == "UNSEEN")
      item(i, s.unseen);
    else if (i == "HIGHESTMODSEQ")
      item(i, s.highest_modseq);
    else if (i == "SIZE")
      item(i, s.size);
    else if (i == "APPENDLIMIT")
      item(i, ctx_.settings.append_limit);
  }
  line += ')';
  return line;
}

asio::awaitable<void> Session::do_status(const proto::Command& c) {
  const auto& args = std::get<proto::StatusArgs>(c.args);
  auto folder = folder_of(c, args.mailbox);
  if (!folder) co_return;
  auto status = co_await blocking([&] { return boxes_->status(*folder); });
  if (!status) {
    store_error(c, status.error());
    co_return;
  }
  for (const std::string& i : args.items) {
    if (i == "HIGHESTMODSEQ") condstore_ = true;  // RFC 7162 3.1: a CONDSTORE-enabling command
  }
  untagged(status_line(ctx_.names.to_name(*folder), *status, args.items));
  ok(c, "STATUS completed");
}

void Session::do_namespace(const proto::Command& c) {
  std::string line = "NAMESPACE ((";
  proto::append_string(line, ctx_.names.prefix());
  line += ' ';
  proto::append_string(line, std::string(1, ctx_.names.separator()));
  line += ")) NIL NIL";
  untagged(line);
  ok(c, "NAMESPACE completed");
}

asio::awaitable<void> Session::do_quota(const proto::Command& c) {
  // One quota root, "", over the whole account (STORAGE, in KiB); no root
  // when the account has no quota (RFC 9208 4.3).
  if (c.name == proto::CommandName::kSetQuota) {
    no(c, "NOPERM", "Quotas are set by the administrator");
    co_return;
  }
  if (c.name == proto::CommandName::kGetQuota &&
      !std::get<proto::GetQuotaArgs>(c.args).root.empty()) {
    no(c, "NONEXISTENT", "No such quota root (the only one is \"\")");
    co_return;
  }
  std::optional<store::FolderName> folder;
  if (c.name == proto::CommandName::kGetQuotaRoot) {
    folder = folder_of(c, std::get<proto::MailboxArgs>(c.args).mailbox);
    if (!folder) co_return;
  }
  auto quota = co_await blocking([&]() -> Result<store::QuotaStatus> {
    if (folder) {
      // The mailbox must exist for its root to be named.
      auto exists = boxes_->status(*folder);
      if (!exists) return fail(std::move(exists).error());
    }
    return boxes_->quota();
  });
  if (!quota) {
    store_error(c, quota.error());
    co_return;
  }
  if (folder) {
    std::string line = "QUOTAROOT ";
    proto::append_astring(
        line, proto::mutf7_encode(std::get<proto::MailboxArgs>(c.args).mailbox).value_or("INBOX"));
    if (quota->limit_bytes > 0) line += " \"\"";
    untagged(line);
  }
  if (quota->limit_bytes > 0) {
    untagged("QUOTA \"\" (STORAGE " + std::to_string((quota->used_bytes + 1023) / 1024) + " " +
             std::to_string(quota->limit_bytes / 1024) + ")");
  } else if (!folder) {
    no(c, "NONEXISTENT", "This account has no quota");
    co_return;
  }
  ok(c, c.name == proto::CommandName::kGetQuota ? "GETQUOTA completed" : "GETQUOTAROOT completed");
}

}  // namespace hm::imap
