#include "config/config.h"

// Debian builds toml++ as a shared library with exceptions enabled and ships
// only that variant (toml::v3::ex::parse); TOML_EXCEPTIONS=0 would need the
// whole parser compiled a second time into this file. So toml::parse throws
// toml::parse_error here, and load_string() catches it: nothing is thrown
// past this file.
#include <toml++/toml.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

#include "base/strings.h"

namespace hm::config {
namespace {

namespace fs = std::filesystem;

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none: return "nothing";
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
  }
  return "an unknown type";
}

int line_of(const toml::source_region& region) { return static_cast<int>(region.begin.line); }

// What one load collects: problems, and where each key was set, so that the
// problems check() finds afterwards can be given their lines.
struct Loader {
  std::string file;
  fs::path base_dir;  // anchors relative paths
  std::vector<Problem> problems;
  std::map<std::string, int, std::less<>> lines;

  void add(int line, std::string key, std::string message) {
    problems.push_back(Problem{file, line, std::move(key), std::move(message)});
  }
};

// Reads the keys of one TOML table into Config members. Each accessor names a
// key it knows; finish() then reports every key of the table that no
// accessor named. A missing table reads as empty, leaving the defaults.
class TableReader {
 public:
  TableReader(Loader& loader, const toml::table* table, std::string name)
      : loader_(loader), table_(table), name_(std::move(name)) {}

  void string(std::string_view key, std::string& out) {
    const toml::node* node = find(key);
    if (!node) return;
    if (const auto* s = node->as_string()) {
      out = s->get();
    } else {
      wrong_type(key, *node, "a string in quotes");
    }
  }

  // A string naming a file or directory; relative means relative to the
  // configuration file's directory.
  void path(std::string_view key, std::string& out) {
    const toml::node* node = find(key);
    if (!node) return;
    const auto* s = node->as_string();
    if (!s) {
      wrong_type(key, *node, "a string in quotes");
      return;
    }
    const std::string& value = s->get();
    out = value.empty() || fs::path(value).is_absolute()
              ? value
              : (loader_.base_dir / value).lexically_normal().string();
  }

  // One string or an array of strings.
  void string_list(std::string_view key, std::vector<std::string>& out) {
    const toml::node* node = find(key);
    if (!node) return;
    if (const auto* s = node->as_string()) {
      out = {s->get()};
      return;
    }
    const auto* array = node->as_array();
    if (!array) {
      wrong_type(key, *node, "a string or an array of strings");
      return;
    }
    std::vector<std::string> values;
    bool ok = true;
    for (const toml::node& element : *array) {
      if (const auto* s = element.as_string()) {
        values.push_back(s->get());
      } else {
        ok = false;
        loader_.add(line_of(element.source()), dotted(key),
                    fmt::format("array element is {}, expected a string in quotes; "
                                "put each entry in double quotes",
                                type_name(element.type())));
      }
    }
    if (ok) out = std::move(values);
  }

  void boolean(std::string_view key, bool& out) {
    const toml::node* node = find(key);
    if (!node) return;
    if (const auto* b = node->as_boolean()) {
      out = b->get();
    } else {
      wrong_type(key, *node, "true or false (without quotes)");
    }
  }

  template <typename T>
  void integer(std::string_view key, T& out) {
    // TOML integers are 64-bit signed, so no unsigned limit can exceed this.
    constexpr int64_t kMin = static_cast<int64_t>(std::numeric_limits<T>::min());
    constexpr int64_t kMax = std::numeric_limits<T>::max() > uint64_t{INT64_MAX}
                                 ? INT64_MAX
                                 : static_cast<int64_t>(std::numeric_limits<T>::max());
    const toml::node* node = find(key);
    if (!node) return;
    const auto* i = node->as_integer();
    if (!i) {
      wrong_type(key, *node, "a whole number (without quotes)");
      return;
    }
    int64_t value = i->get();
    if (value < kMin || value > kMax) {
      loader_.add(
          line_of(node->source()), dotted(key),
          fmt::format("{} is out of range; use a whole number from {} to {}", value, kMin, kMax));
      return;
    }
    out = static_cast<T>(value);
  }

  // The sub-table under key, or nullptr when it is absent or not a table
  // (reported).
  const toml::table* table(std::string_view key) {
    const toml::node* node = find(key);
    if (!node) return nullptr;
    if (const auto* t = node->as_table()) return t;
    wrong_type(key, *node, fmt::format("a table ([{}])", dotted(key)));
    return nullptr;
  }

  void finish() {
    if (!table_) return;
    for (auto&& entry : *table_) {
      const toml::key& key = entry.first;
      std::string_view k = key.str();
      if (std::find(known_.begin(), known_.end(), k) != known_.end()) continue;
      std::vector<std::string> known(known_.begin(), known_.end());
      std::sort(known.begin(), known.end());
      std::string message =
          name_.empty() ? fmt::format("unknown table '{}'; known tables: {}", k, join(known, ", "))
                        : fmt::format("unknown key '{}' in [{}]; known keys: {}", k, name_,
                                      join(known, ", "));
      loader_.add(line_of(key.source()), dotted(k),
                  message + "; remove it or correct its spelling");
    }
  }

 private:
  const toml::node* find(std::string_view key) {
    known_.emplace_back(key);
    if (!table_) return nullptr;
    auto it = table_->find(key);
    if (it == table_->end()) return nullptr;
    loader_.lines[dotted(key)] = line_of(it->first.source());
    return &it->second;
  }

  std::string dotted(std::string_view key) const {
    return name_.empty() ? std::string(key) : fmt::format("{}.{}", name_, key);
  }

  void wrong_type(std::string_view key, const toml::node& node, std::string_view expected) {
    loader_.add(line_of(node.source()), dotted(key),
                fmt::format("wrong type: expected {}, found {}", expected, type_name(node.type())));
  }

  Loader& loader_;
  const toml::table* table_;
  std::string name_;
  std::vector<std::string> known_;
};

void read_config(Loader& loader, const toml::table& root, Config& c) {
  TableReader top(loader, &root, "");
  {
    TableReader r(loader, top.table("server"), "server");
    r.string("hostname", c.server.hostname);
    r.string("postmaster_address", c.server.postmaster_address);
    r.finish();
  }
  {
    TableReader r(loader, top.table("listen"), "listen");
    ListenConfig& l = c.listen;
    r.string_list("smtp", l.smtp);
    r.string_list("submission", l.submission);
    r.string_list("smtps", l.smtps);
    r.string_list("imap", l.imap);
    r.string_list("imaps", l.imaps);
    r.string_list("pop3", l.pop3);
    r.string_list("pop3s", l.pop3s);
    r.string_list("admin", l.admin);
    r.finish();
  }
  {
    TableReader r(loader, top.table("directory"), "directory");
    DirectoryConfig& d = c.directory;
    r.string("backend", d.backend);
    {
      TableReader s(loader, r.table("sqlite"), "directory.sqlite");
      s.path("path", d.sqlite.path);
      s.finish();
    }
    {
      TableReader l(loader, r.table("ldap"), "directory.ldap");
      l.string_list("uris", d.ldap.uris);
      l.string("base", d.ldap.base);
      l.string("bind_dn", d.ldap.bind_dn);
      l.path("bind_password_file", d.ldap.bind_password_file);
      l.string("auth", d.ldap.auth);
      l.integer("timeout_ms", d.ldap.timeout_ms);
      l.integer("cache_ttl_s", d.ldap.cache_ttl_s);
      l.string("follow_changes", d.ldap.follow_changes);
      l.integer("pool_size", d.ldap.pool_size);
      l.string("account_filter", d.ldap.account_filter);
      l.string("alias_filter", d.ldap.alias_filter);
      l.string("domain_filter", d.ldap.domain_filter);
      l.string("account_attribute", d.ldap.account_attribute);
      l.string("alias_attribute", d.ldap.alias_attribute);
      l.finish();
    }
    r.finish();
  }
  {
    TableReader r(loader, top.table("storage"), "storage");
    r.path("virtual_base", c.storage.virtual_base);
    r.string("vmail_user", c.storage.vmail_user);
    r.string("vmail_group", c.storage.vmail_group);
    r.path("state_dir", c.storage.state_dir);
    r.finish();
  }
  {
    TableReader r(loader, top.table("local"), "local");
    r.boolean("enabled", c.local.enabled);
    r.string("mailbox_command", c.local.mailbox_command);
    r.string("pam_service", c.local.pam_service);
    r.path("aliases", c.local.aliases);
    r.integer("first_valid_uid", c.local.first_valid_uid);
    r.integer("delivery_timeout_s", c.local.delivery_timeout_s);
    r.finish();
  }
  {
    TableReader r(loader, top.table("tls"), "tls");
    r.path("cert", c.tls.cert);
    r.path("key", c.tls.key);
    r.finish();
  }
  {
    TableReader r(loader, top.table("admin"), "admin");
    r.string("superuser", c.admin.superuser);
    r.string("superuser_password_hash", c.admin.superuser_password_hash);
    r.finish();
  }
  {
    TableReader r(loader, top.table("limits"), "limits");
    LimitsConfig& l = c.limits;
    r.integer("message_size", l.message_size);
    r.integer("recipients", l.recipients);
    r.integer("line_length", l.line_length);
    r.integer("command_timeout_s", l.command_timeout_s);
    r.integer("data_timeout_s", l.data_timeout_s);
    r.integer("data_min_rate", l.data_min_rate);
    r.integer("connections_per_ip", l.connections_per_ip);
    r.integer("max_sessions", l.max_sessions);
    r.integer("errors_per_session", l.errors_per_session);
    r.integer("alias_depth", l.alias_depth);
    r.finish();
  }
  {
    TableReader r(loader, top.table("imap"), "imap");
    ImapConfig& i = c.imap;
    r.string("namespace", i.namespace_style);
    r.string("login_on_plaintext", i.login_on_plaintext);
    r.integer("idle_timeout_s", i.idle_timeout_s);
    r.integer("line_length", i.line_length);
    r.integer("append_limit", i.append_limit);
    r.integer("max_sessions", i.max_sessions);
    r.integer("connections_per_ip", i.connections_per_ip);
    r.integer("errors_per_session", i.errors_per_session);
    r.finish();
  }
  {
    TableReader r(loader, top.table("addressing"), "addressing");
    r.string("recipient_delimiter", c.addressing.recipient_delimiter);
    r.finish();
  }
  {
    TableReader r(loader, top.table("auth"), "auth");
    r.string("password_scheme", c.auth.password_scheme);
    r.integer("credential_cache_ttl_s", c.auth.credential_cache_ttl_s);
    r.integer("credential_cache_entries", c.auth.credential_cache_entries);
    r.finish();
  }
  {
    TableReader r(loader, top.table("dkim"), "dkim");
    r.path("key_dir", c.dkim.key_dir);
    r.string("selector", c.dkim.selector);
    r.finish();
  }
  {
    TableReader r(loader, top.table("log"), "log");
    r.string("level", c.log.level);
    r.string("sink", c.log.sink);
    r.finish();
  }
  top.finish();
}

// Problems in file order; those without a line (about defaults) last.
void sort_problems(std::vector<Problem>& problems) {
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    int la = a.line > 0 ? a.line : std::numeric_limits<int>::max();
    int lb = b.line > 0 ? b.line : std::numeric_limits<int>::max();
    return la < lb;
  });
}

Error invalid(const std::vector<Problem>& problems) {
  std::vector<std::string> lines;
  lines.reserve(problems.size());
  for (const Problem& p : problems) lines.push_back(format_problem(p));
  return Error(ErrorKind::kInvalid, join(lines, "\n"));
}

}  // namespace

std::string default_hostname() {
  // HOST_NAME_MAX is 64 on Linux; room for more costs nothing.
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return ascii_lower(buf);
}

std::string dkim_key_dir(const Config& config) {
  if (!config.dkim.key_dir.empty()) return config.dkim.key_dir;
  return (fs::path(config.storage.state_dir) / "dkim").string();
}

std::string format_problem(const Problem& p) {
  std::string out = p.file.empty() ? "configuration" : p.file;
  if (p.line > 0) out += fmt::format(":{}", p.line);
  out += ": ";
  if (!p.key.empty()) out += p.key + ": ";
  out += p.message;
  return out;
}

Result<Config> load_string(std::string_view text, const std::string& path_for_messages) {
  Loader loader;
  loader.file = path_for_messages;
  std::error_code ec;
  fs::path absolute = fs::absolute(path_for_messages.empty() ? "." : path_for_messages, ec);
  loader.base_dir = ec ? fs::path(".") : absolute.parent_path();

  Config config;
  config.source_path = path_for_messages;
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(path_for_messages));
  } catch (const toml::parse_error& e) {
    loader.add(line_of(e.source()), "",
               fmt::format("TOML syntax error: {}; correct the syntax there (nothing after "
                           "it was checked)",
                           e.description()));
    return fail(invalid(loader.problems));
  }
  read_config(loader, root, config);

  for (Problem& p : check(config)) {
    if (p.line == 0) {
      auto it = loader.lines.find(p.key);
      if (it != loader.lines.end()) p.line = it->second;
    }
    loader.problems.push_back(std::move(p));
  }
  if (!loader.problems.empty()) {
    sort_problems(loader.problems);
    return fail(invalid(loader.problems));
  }
  return config;
}

Result<Config> load_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return fail(ErrorKind::kInvalid,
                fmt::format("{} is a directory, not a configuration file; name the file, "
                            "e.g. {}/hostmail.toml",
                            path, path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    ErrorKind kind = err == ENOENT   ? ErrorKind::kNotFound
                     : err == EACCES ? ErrorKind::kPermission
                                     : ErrorKind::kInvalid;
    return fail(kind, fmt::format("cannot read configuration file {}: {}; check the path and its "
                                  "permissions, or run `hostmail init` to create one",
                                  path, std::strerror(err)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return fail(ErrorKind::kInvalid,
                fmt::format("error reading configuration file {}; check that it is a "
                            "regular, readable file",
                            path));
  }
  return load_string(text.str(), path);
}

}  // namespace hm::config
