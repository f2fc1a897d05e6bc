#include "admin/cli/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "admin/cli/context.h"
#include "admin/cli/dkim_command.h"
#include "admin/cli/exit_status.h"
#include "admin/cli/init_command.h"
#include "admin/cli/mailbox_command.h"
#include "admin/cli/output.h"
#include "admin/cli/password_input.h"
#include "admin/cli/queue_command.h"
#include "auth/password_scheme.h"
#include "base/strings.h"
#include "directory/ldif_tree.h"

namespace hm::admin::cli {
namespace {

Table accounts_table(const std::vector<Account>& accounts) {
  Table t;
  t.columns = {"address", "mailbox", "quota", "imap", "pop3", "password"};
  t.numeric_columns = {"quota"};
  t.boolean_columns = {"imap", "pop3", "password"};
  for (const Account& a : accounts) {
    t.rows.push_back({a.address, a.mailbox, std::to_string(a.quota_bytes),
                      a.disable_imap ? "false" : "true", a.disable_pop3 ? "false" : "true",
                      a.password_hash.empty() ? "false" : "true"});
  }
  return t;
}

std::string read_file_or_stdin(const std::string& path, Status& status) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    status = fail(ErrorKind::kNotFound, "cannot read " + path + ": no such file or no permission");
    return {};
  }
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int run(int argc, char** argv, const MailCommands& commands) {
  CLI::App app{"hostmail: a mail server for many domains (SMTP, IMAP, POP3, directory)",
               "hostmail"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  GlobalOptions global;
  app.add_option("--config", global.config_path,
                 "Configuration file (default: $HOSTMAIL_CONFIG, ./hostmail.toml, "
                 "/etc/hostmail/hostmail.toml)");
  app.add_option("--as", global.as,
                 "Act as this account (its postmaster rights only) instead of the superuser");
  app.add_flag("--as-password-stdin", global.as_password_stdin,
               "Read the --as principal's password from the first line of stdin; with the LDAP "
               "directory, writes then bind as that principal so slapd's access rules apply");

  int status = 0;
  std::function<int()> action;

  // ---- init, check-config, serve, passwd-hash ----
  std::string init_dir = ".";
  auto* init = app.add_subcommand("init", "Write a starter configuration and data folders");
  init->add_option("--dir", init_dir, "Folder for the configuration and data (default: .)");
  std::string init_vmail_user;
  init->add_option("--vmail-user", init_vmail_user,
                   "As root: the system user the server runs as, created when missing "
                   "(default: vmail)");
  std::string init_postmaster;
  init->add_option("--postmaster-address", init_postmaster,
                   "Who reads mail for postmaster@ and abuse@ of every domain ([server] "
                   "postmaster_address)");
  init->callback([&] {
    action = [&] {
      return run_init(init_dir, argc > 0 ? argv[0] : "hostmail", init_vmail_user, init_postmaster);
    };
  });

  auto* check = app.add_subcommand("check-config", "Validate the configuration");
  check->callback([&] { action = [&] { return run_check_config(global.config_path); }; });

  auto* serve_cmd = app.add_subcommand("serve", "Run the mail server");
  serve_cmd->callback([&] {
    action = [&] {
      auto config = load_config(global);
      if (!config) return report(config.error());
      return commands.serve(*config);
    };
  });

  DeliverArguments deliver_args;
  auto* deliver = app.add_subcommand(
      "deliver", "Deliver one message from stdin (a local delivery agent; sysexits codes)");
  deliver->add_option("--recipient", deliver_args.recipient, "Envelope recipient")->required();
  deliver->add_option("--sender", deliver_args.sender, "Envelope sender (default: none, <>)");
  deliver->callback([&] {
    action = [&] {
      auto config = load_config(global);
      if (!config) return report(config.error());
      return commands.deliver(*config, deliver_args);
    };
  });

  std::string scheme;
  auto* hash = app.add_subcommand("passwd-hash",
                                  "Hash a password read from stdin or the terminal, as slappasswd");
  hash->add_option("--scheme", scheme, "SSHA, SHA, SMD5, MD5, SSHA256, SSHA512, CRYPT, ARGON2ID");
  hash->callback([&] {
    action = [&] {
      auto password = read_password(
          stdin_is_terminal() ? PasswordSource::kTerminal : PasswordSource::kStdin, "Password: ");
      if (!password) return report(password.error());
      std::string use = scheme;
      if (use.empty()) {
        // The configured scheme if a configuration is at hand, else the default.
        auto config = load_config(global);
        use = config ? config->auth.password_scheme : std::string(auth::default_scheme());
      }
      auto hashed = auth::hash_password(*password, use);
      if (!hashed) return report(hashed.error());
      std::cout << *hashed << "\n";
      return 0;
    };
  });

  // ---- domain ----
  auto* domain = app.add_subcommand("domain", "Hosted domains");
  domain->require_subcommand(1);
  std::string domain_name, postmaster_to;
  bool force = false, json = false;
  auto* domain_add = domain->add_subcommand("add", "Host a domain (with postmaster@ and abuse@)");
  domain_add->add_option("DOMAIN", domain_name)->required();
  domain_add->add_option("--postmaster-to", postmaster_to,
                         "Address that postmaster@ and abuse@ forward to (default: the local "
                         "accounts postmaster and abuse)");
  domain_add->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        HM_TRY(ctx.admin().add_domain(domain_name, postmaster_to));
        std::cerr << "domain " << domain_name << " added with postmaster@ and abuse@\n";
        return ok();
      });
    };
  });
  auto* domain_list = domain->add_subcommand("list", "List hosted domains");
  domain_list->add_flag("--json", json, "Print JSON");
  domain_list->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        auto domains = ctx.admin().list_domains();
        if (!domains) return Status(fail(domains.error()));
        Table t;
        t.columns = {"domain", "accounts", "aliases"};
        t.numeric_columns = {"accounts", "aliases"};
        for (const DomainSummary& d : *domains) {
          t.rows.push_back({d.name, std::to_string(d.accounts), std::to_string(d.aliases)});
        }
        print_table(t, json);
        return ok();
      });
    };
  });
  auto* domain_del = domain->add_subcommand("del", "Stop hosting a domain");
  domain_del->add_option("DOMAIN", domain_name)->required();
  domain_del->add_flag("--force", force, "Delete even if it still has accounts");
  domain_del->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        HM_TRY(ctx.admin().delete_domain(domain_name, force));
        std::cerr << "domain " << domain_name << " deleted; its mail stays on disk\n";
        return ok();
      });
    };
  });

  // ---- account ----
  auto* account = app.add_subcommand("account", "Virtual mail accounts");
  account->require_subcommand(1);
  std::string address;
  bool password_stdin = false;
  uint64_t quota = 0;
  auto* account_add = account->add_subcommand("add", "Create an account");
  account_add->add_option("ADDRESS", address)->required();
  account_add->add_flag("--password-stdin", password_stdin, "Read the password from stdin");
  account_add->add_option("--quota", quota, "Mailbox quota in bytes (0: none)");
  account_add->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        std::optional<std::string> password;
        if (password_stdin || stdin_is_terminal()) {
          auto p =
              read_password(password_stdin ? PasswordSource::kStdin : PasswordSource::kTerminal,
                            "Password for " + address + ": ");
          if (!p) return Status(fail(p.error()));
          password = std::move(*p);
        }
        auto created = ctx.admin().add_account(address, password, quota);
        if (!created) return Status(fail(created.error()));
        std::cerr << "account " << created->address << " created, mailbox " << created->mailbox
                  << "\n";
        if (!password) {
          std::cerr << "it has no password yet: set one with `hostmail account passwd "
                    << created->address << "`\n";
        }
        return ok();
      });
    };
  });
  std::string list_domain;
  auto* account_list = account->add_subcommand("list", "List accounts");
  account_list->add_option("DOMAIN", list_domain, "Only this domain");
  account_list->add_flag("--json", json, "Print JSON");
  account_list->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        auto accounts = ctx.admin().list_accounts(list_domain);
        if (!accounts) return Status(fail(accounts.error()));
        print_table(accounts_table(*accounts), json);
        return ok();
      });
    };
  });
  auto* account_show = account->add_subcommand("show", "Show one account");
  account_show->add_option("ADDRESS", address)->required();
  account_show->add_flag("--json", json, "Print JSON");
  account_show->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        auto details = ctx.admin().show_account(address);
        if (!details) return Status(fail(details.error()));
        const Account* a = &details->account;
        if (details->home_warning) {
          std::cerr << "hostmail: warning: " << *details->home_warning << "\n";
        }
        Table t = accounts_table({*a});
        t.columns.insert(t.columns.end(), {"name", "home", "uid", "gid", "postmaster_of"});
        t.numeric_columns.insert(t.numeric_columns.end(), {"uid", "gid"});
        t.list_columns = {"postmaster_of"};
        t.rows[0].insert(t.rows[0].end(),
                         {a->name, a->home_directory, std::to_string(a->uid_number),
                          std::to_string(a->gid_number), join(details->postmaster_of, ", ")});
        if (json) {
          print_table(t, true);
        } else {
          for (size_t i = 0; i < t.columns.size(); ++i) {
            std::cout << t.columns[i] << ": " << t.rows[0][i] << "\n";
          }
        }
        return ok();
      });
    };
  });
  auto* account_passwd = account->add_subcommand("passwd", "Set an account's password");
  account_passwd->add_option("ADDRESS", address)->required();
  account_passwd->add_flag("--password-stdin", password_stdin, "Read the password from stdin");
  account_passwd->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        auto p = read_password(password_stdin ? PasswordSource::kStdin : PasswordSource::kTerminal,
                               "New password for " + address + ": ");
        if (!p) return Status(fail(p.error()));
        HM_TRY(ctx.admin().set_password(address, *p));
        std::cerr << "password of " << address << " changed\n";
        return ok();
      });
    };
  });
  auto* account_del = account->add_subcommand("del", "Delete an account (its mail stays on disk)");
  account_del->add_option("ADDRESS", address)->required();
  account_del->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        HM_TRY(ctx.admin().delete_account(address));
        std::cerr << "account " << address
                  << " deleted; its Maildir stays on disk and no new account will get it\n";
        return ok();
      });
    };
  });

  // ---- alias ----
  auto* alias = app.add_subcommand("alias", "Aliases (forwardings), catch-alls as @domain");
  alias->require_subcommand(1);
  std::vector<std::string> maildrops;
  std::string maildrop;
  auto* alias_add = alias->add_subcommand("add", "Add maildrops to an alias (creating it)");
  alias_add->add_option("ADDRESS", address, "user@domain, or @domain for a catch-all")->required();
  alias_add->add_option("MAILDROP", maildrops, "Addresses or local account names")->required();
  alias_add->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        HM_TRY(ctx.admin().add_alias(address, maildrops));
        std::cerr << "alias " << address << " -> " << join(maildrops, ", ") << "\n";
        return ok();
      });
    };
  });
  auto* alias_list = alias->add_subcommand("list", "List aliases");
  alias_list->add_option("DOMAIN", list_domain, "Only this domain");
  alias_list->add_flag("--json", json, "Print JSON");
  alias_list->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        auto aliases = ctx.admin().list_aliases(list_domain);
        if (!aliases) return Status(fail(aliases.error()));
        Table t;
        t.columns = {"address", "maildrops"};
        t.list_columns = {"maildrops"};
        for (const Alias& a : *aliases) t.rows.push_back({a.address, join(a.maildrops, ", ")});
        print_table(t, json);
        return ok();
      });
    };
  });
  auto* alias_del = alias->add_subcommand("del", "Delete an alias, or one of its maildrops");
  alias_del->add_option("ADDRESS", address)->required();
  alias_del->add_option("MAILDROP", maildrop, "Only this maildrop");
  alias_del->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        HM_TRY(ctx.admin().delete_alias(address, maildrop));
        std::cerr << (maildrop.empty() ? "alias " + address + " deleted"
                                       : "maildrop " + maildrop + " removed from " + address)
                  << "\n";
        return ok();
      });
    };
  });

  // ---- postmaster ----
  auto* postmaster = app.add_subcommand("postmaster", "Delegated administrators of a domain");
  postmaster->require_subcommand(1);
  auto* grant = postmaster->add_subcommand("grant", "Let an account administer a domain");
  grant->add_option("DOMAIN", domain_name)->required();
  grant->add_option("ADDRESS", address)->required();
  grant->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        HM_TRY(ctx.admin().grant_postmaster(domain_name, address));
        std::cerr << address << " now administers " << domain_name << "\n";
        return ok();
      });
    };
  });
  auto* revoke = postmaster->add_subcommand("revoke", "Take the role away");
  revoke->add_option("DOMAIN", domain_name)->required();
  revoke->add_option("ADDRESS", address)->required();
  revoke->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        HM_TRY(ctx.admin().revoke_postmaster(domain_name, address));
        std::cerr << address << " no longer administers " << domain_name << "\n";
        return ok();
      });
    };
  });
  auto* pm_list = postmaster->add_subcommand("list", "Who administers a domain");
  pm_list->add_option("DOMAIN", domain_name)->required();
  pm_list->add_flag("--json", json, "Print JSON");
  pm_list->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        auto who = ctx.admin().list_postmasters(domain_name);
        if (!who) return Status(fail(who.error()));
        Table t;
        t.columns = {"address"};
        for (const std::string& a : *who) t.rows.push_back({a});
        print_table(t, json);
        return ok();
      });
    };
  });

  add_queue_commands(app, global, action);
  add_dkim_commands(app, global, action);
  add_mailbox_commands(app, global, action);

  // ---- ldif ----
  auto* ldif = app.add_subcommand("ldif", "The directory as LDIF (the seed's OpenLDAP tree)");
  ldif->require_subcommand(1);
  std::vector<std::string> files;
  std::string base(directory::kDefaultLdifBase);
  auto* ldif_import = ldif->add_subcommand("import", "Apply LDIF files, in order ('-' is stdin)");
  ldif_import->add_option("FILE", files)->required();
  ldif_import->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        for (const std::string& f : files) {
          Status read = ok();
          std::string text = read_file_or_stdin(f, read);
          HM_TRY(read);
          auto done = ctx.admin().import_ldif(text);
          if (!done) return Status(fail(std::move(done).error().prefix(f)));
          for (const std::string& w : done->warnings) {
            std::cerr << "hostmail: warning: " << f << ": " << w << "\n";
          }
          std::cerr << "imported " << f << ": " << done->applied << " record(s)";
          if (!done->warnings.empty()) std::cerr << ", " << done->warnings.size() << " skipped";
          std::cerr << "\n";
        }
        return ok();
      });
    };
  });
  auto* ldif_export = ldif->add_subcommand("export", "Write the directory as LDIF to stdout");
  ldif_export->add_option("--base", base, "Base DN of the hosting tree");
  ldif_export->callback([&] {
    action = [&] {
      return with_context(global, [&](Context& ctx) -> Status {
        std::vector<std::string> warnings;
        auto text = ctx.admin().export_ldif(base, &warnings);
        if (!text) return Status(fail(text.error()));
        for (const std::string& w : warnings) std::cerr << "hostmail: warning: " << w << "\n";
        std::cout << *text;
        return ok();
      });
    };
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (action) status = action();
  return status;
}

}  // namespace hm::admin::cli
