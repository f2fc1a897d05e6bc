#include "admin/cli/dkim_command.h"

#include <iostream>
#include <memory>
#include <string>

#include "admin/cli/exit_status.h"
#include "base/line_ends.h"
#include "directory/address.h"
#include "dkim/key_store.h"
#include "dkim/signer.h"
#include "dkim/signing_key.h"

namespace hm::admin::cli {
namespace {

struct Options {
  std::string domain;
  std::string selector;  // empty: [dkim] selector
  std::string type = "rsa";
  bool force = false;
};

// What both commands start from: the configuration, the domain in its
// A-label form, and the selector.
struct Target {
  config::Config config;
  std::string key_dir;
  std::string domain;
  std::string selector;
};

Result<Target> target(const GlobalOptions& global, const Options& opts) {
  if (!global.as.empty()) {
    return fail(ErrorKind::kPermission,
                "DKIM keys are files only the superuser manages; run the command without --as");
  }
  auto config = load_config(global);
  if (!config) return fail(std::move(config).error());
  auto domain = directory::normalize_domain(opts.domain);
  if (!domain) return fail(std::move(domain).error());
  Target t;
  t.key_dir = config::dkim_key_dir(*config);
  t.selector = opts.selector.empty() ? config->dkim.selector : opts.selector;
  HM_TRY(dkim::check_selector(t.selector));
  t.domain = std::move(*domain);
  t.config = std::move(*config);
  return t;
}

Status keygen(const GlobalOptions& global, const Options& opts) {
  auto t = target(global, opts);
  if (!t) return fail(std::move(t).error());
  dkim::Algorithm algorithm;
  if (opts.type == "rsa") {
    algorithm = dkim::Algorithm::kRsaSha256;
  } else if (opts.type == "ed25519") {
    algorithm = dkim::Algorithm::kEd25519Sha256;
  } else {
    return fail(ErrorKind::kInvalid,
                "--type " + opts.type + " is not a DKIM key type; use rsa or ed25519");
  }
  auto key = dkim::SigningKey::generate(algorithm, t->domain, t->selector);
  if (!key) return fail(std::move(key).error());
  dkim::KeyStoreOptions o;
  o.daemon_uid = vmail_ids(t->config).first;
  HM_TRY(dkim::KeyStore::write_key(t->key_dir, *key, opts.force, o));
  std::cerr << "wrote " << dkim::KeyStore::key_path(t->key_dir, t->domain, t->selector) << " ("
            << (algorithm == dkim::Algorithm::kRsaSha256 ? "RSA, 2048 bits" : "Ed25519")
            << "); publish this DNS record before the key signs mail:\n";
  std::cout << dkim::dns_record(*key) << "\n";
  return ok();
}

Status show(const GlobalOptions& global, const Options& opts) {
  auto t = target(global, opts);
  if (!t) return fail(std::move(t).error());
  dkim::KeyStoreOptions o;
  o.selector = t->selector;
  o.daemon_uid = vmail_ids(t->config).first;
  auto keys = dkim::KeyStore::read_domain(t->key_dir, t->domain, o);
  if (!keys) return fail(std::move(keys).error());
  bool shown = false;
  for (const dkim::SigningKey& key : *keys) {
    if (!opts.selector.empty() && key.selector() != opts.selector) continue;
    std::cout << dkim::dns_record(key) << "\n";
    shown = true;
  }
  if (!shown) {
    return fail(ErrorKind::kNotFound, t->domain + " has no DKIM key of selector \"" +
                                          opts.selector + "\"; `hostmail dkim show " + t->domain +
                                          "` lists those it has");
  }
  return ok();
}

// Reads the message on stdin with any line ends made CRLF, at most
// [limits] message_size.
Result<std::string> read_message(const config::Config& config) {
  std::string wire;
  LineEndNormalizer crlf;
  char buf[65536];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    crlf.feed(std::string_view(buf, static_cast<size_t>(std::cin.gcount())), wire);
    if (wire.size() > config.limits.message_size) {
      return fail(ErrorKind::kLimit, "the message is larger than [limits] message_size");
    }
  }
  crlf.finish(wire);
  return wire;
}

Status sign(const GlobalOptions& global, const Options& opts) {
  auto t = target(global, opts);
  if (!t) return fail(std::move(t).error());
  // As the relay will: the whole store, with its checks, then the domain's key.
  dkim::KeyStoreOptions o;
  o.selector = t->selector;
  o.daemon_uid = vmail_ids(t->config).first;
  auto store = dkim::KeyStore::open(t->key_dir, o);
  if (!store) return fail(std::move(store).error());
  const dkim::SigningKey* key = store->find(t->domain);
  if (!key || (!opts.selector.empty() && key->selector() != opts.selector)) {
    std::string why = store->selector_problem(t->domain);
    return fail(ErrorKind::kNotFound,
                !why.empty() ? why
                             : t->domain + " has no DKIM key of selector \"" + t->selector +
                                   "\"; make one with `hostmail dkim keygen " + t->domain + "`");
  }
  auto message = read_message(t->config);
  if (!message) return fail(std::move(message).error());
  auto field = dkim::Signer().sign(*message, *key);
  if (!field) return fail(std::move(field).error());
  std::cout << *field << *message << std::flush;
  return ok();
}

}  // namespace

void add_dkim_commands(CLI::App& app, const GlobalOptions& global, std::function<int()>& action) {
  auto* dkim_cmd = app.add_subcommand("dkim", "DKIM keys that sign the hosted domains' mail");
  dkim_cmd->require_subcommand(1);
  auto opts = std::make_shared<Options>();  // lives as long as the App

  auto* keygen_cmd =
      dkim_cmd->add_subcommand("keygen", "Make a domain's DKIM key and print its DNS record");
  keygen_cmd->add_option("DOMAIN", opts->domain, "The signing domain (d=)")->required();
  keygen_cmd->add_option("--selector", opts->selector,
                         "The selector (s=); default: [dkim] selector");
  keygen_cmd->add_option("--type", opts->type, "rsa (2048 bits, the default) or ed25519");
  keygen_cmd->add_flag("--force", opts->force, "Replace the selector's key if there is one");
  keygen_cmd->callback([&global, &action, opts] {
    action = [&global, opts] {
      Status s = keygen(global, *opts);
      return s ? 0 : report(s.error());
    };
  });

  auto* show_cmd = dkim_cmd->add_subcommand("show", "Print the DNS records of a domain's keys");
  show_cmd->add_option("DOMAIN", opts->domain, "The signing domain")->required();
  show_cmd->add_option("--selector", opts->selector, "Only this selector's record");
  show_cmd->callback([&global, &action, opts] {
    action = [&global, opts] {
      Status s = show(global, *opts);
      return s ? 0 : report(s.error());
    };
  });

  auto* sign_cmd = dkim_cmd->add_subcommand(
      "sign", "Sign the message on stdin as the relay will, and print it signed (CRLF)");
  sign_cmd->add_option("DOMAIN", opts->domain, "The signing domain")->required();
  sign_cmd->add_option("--selector", opts->selector, "This selector's key; default: as the relay");
  sign_cmd->callback([&global, &action, opts] {
    action = [&global, opts] {
      Status s = sign(global, *opts);
      return s ? 0 : report(s.error());
    };
  });
}

}  // namespace hm::admin::cli
