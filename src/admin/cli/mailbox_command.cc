#include "admin/cli/mailbox_command.h"

#include <memory>
#include <string>

#include "admin/cli/output.h"
#include "base/strings.h"
#include "store/mailbox_path.h"
#include "store/maildir/maildir_account.h"
#include "store/maildir/migration_check.h"

namespace hm::admin::cli {
namespace {

Table check_table(const std::vector<store::maildir::FolderCheck>& folders) {
  Table t;
  t.columns = {"folder", "messages", "uidvalidity", "uidnext", "source", "dropped"};
  t.numeric_columns = {"messages", "uidvalidity", "uidnext", "dropped"};
  t.nullable_columns = {"uidvalidity"};
  for (const auto& f : folders) {
    // Folder names as on disk below the root (parts joined by '/'), the
    // same whatever the [imap] namespace shows clients.
    t.rows.push_back(
        {f.name.empty() ? std::string("INBOX") : join(f.name, "/"), std::to_string(f.messages),
         f.uid_validity ? std::to_string(*f.uid_validity) : std::string(),
         std::to_string(f.uid_next), std::string(store::maildir::uid_source_name(f.source)),
         std::to_string(f.dropped)});
  }
  return t;
}

}  // namespace

void add_mailbox_commands(CLI::App& app, const GlobalOptions& global,
                          std::function<int()>& action) {
  auto* mailbox = app.add_subcommand("mailbox", "An account's mail folders");
  mailbox->require_subcommand(1);
  struct Options {
    bool json = false;
    std::string address;
  };
  auto opts = std::make_shared<Options>();
  auto* check = mailbox->add_subcommand(
      "check", "Per folder: messages, UIDVALIDITY, UIDNEXT and where they come from (read only)");
  check->add_option("ADDRESS", opts->address, "The account")->required();
  check->add_flag("--json", opts->json, "Print JSON");
  check->callback([&global, &action, opts] {
    action = [&global, opts] {
      return with_context(global, [&](Context& ctx) -> Status {
        // Through the administration service: a --as postmaster checks only
        // the accounts of their domains.
        auto details = ctx.admin().show_account(opts->address);
        if (!details) return fail(details.error());
        auto root = store::virtual_maildir_path(ctx.config().storage.virtual_base,
                                                details->account.address, details->account.mailbox);
        if (!root) return fail(root.error());
        // Read as the virtual mail user, never as root, in folders that
        // user can change.
        store::maildir::MaildirAccount account;
        account.root = *root;
        auto [uid, gid] = vmail_ids(ctx.config());
        account.uid = uid;
        account.gid = gid;
        store::maildir::AsOwner as(account);
        auto folders = store::maildir::check_account_folders(*root);
        if (!folders) return fail(folders.error());
        print_table(check_table(*folders), opts->json);
        return ok();
      });
    };
  });
}

}  // namespace hm::admin::cli
