// LIST and LSUB (RFC 3501 6.3.8-9) with LIST-EXTENDED (RFC 5258: several
// patterns, selection SUBSCRIBED / SPECIAL-USE / RECURSIVEMATCH, RETURN
// SUBSCRIBED / CHILDREN / SPECIAL-USE), CHILDREN (RFC 3348), SPECIAL-USE
// (RFC 6154) and LIST-STATUS (RFC 5819). One blocking call lists the
// folders (and takes the STATUS of each listed one); the lines are built
// here.

#include <algorithm>
#include <map>

#include "imap/proto/mutf7.h"
#include "imap/session/list_match.h"
#include "imap/session/session.h"

namespace hm::imap {

namespace {

// A pattern longer than this cannot be meant: no name is longer than
// kMaxMailboxName, and the matcher's table grows with both.
constexpr size_t kMaxPattern = 1024;

struct Entry {
  store::FolderName folder;
  bool exists = true;  // false: only a level above folders that exist (\Noselect)
  bool subscribed = false;
  bool children = false;
  bool subscribed_child = false;  // a subscribed folder lies below
  std::vector<std::string> special_use;
};

bool has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool below(const store::FolderName& child, const store::FolderName& parent) {
  return child.size() > parent.size() && std::equal(parent.begin(), parent.end(), child.begin());
}

}  // namespace

asio::awaitable<void> Session::do_list(const proto::Command& c) {
  const auto& args = std::get<proto::ListArgs>(c.args);
  const bool lsub = c.name == proto::CommandName::kLsub;
  const char sep = ctx_.names.separator();
  const std::string sep_string = std::string("\"") + sep + "\"";
  const char* verb = lsub ? "LSUB " : "LIST ";

  // LIST "" "": the hierarchy separator and root (RFC 3501 6.3.8).
  if (args.patterns.size() == 1 && args.patterns[0].empty() && args.selection.empty()) {
    untagged(std::string(verb) + "(\\Noselect) " + sep_string + " \"\"");
    ok(c, lsub ? "LSUB completed" : "LIST completed");
    co_return;
  }
  std::vector<std::string> patterns;
  for (const std::string& p : args.patterns) {
    patterns.push_back(list_pattern(args.reference, p));
    if (patterns.back().size() > kMaxPattern) {
      bad(c, "Pattern too long");
      co_return;
    }
  }
  const bool only_subscribed = lsub || has(args.selection, "SUBSCRIBED");
  const bool only_special = has(args.selection, "SPECIAL-USE");
  const bool recursive = has(args.selection, "RECURSIVEMATCH");
  const bool show_subscribed =
      !lsub && (has(args.selection, "SUBSCRIBED") || has(args.return_options, "SUBSCRIBED"));
  const bool want_status = has(args.return_options, "STATUS");
  const bool extended =
      !args.selection.empty() || !args.return_options.empty() || args.patterns.size() > 1;

  struct Listed {
    std::vector<Entry> entries;
    std::map<size_t, store::MailboxStatus> status;  // by index in entries
  };
  auto listed = co_await blocking([&]() -> Result<Listed> {
    auto folders = boxes_->list();
    if (!folders) return fail(std::move(folders).error());
    // Every folder, the INBOX, and the levels above folders that exist only
    // as part of their names (Maildir++ is flat: ".A.B" without ".A").
    std::map<store::FolderName, Entry> all;
    Entry inbox;
    inbox.subscribed = true;  // the INBOX is always there to see
    all[{}] = inbox;
    for (store::FolderInfo& f : *folders) {
      for (size_t n = 1; n < f.name.size(); ++n) {
        store::FolderName parent(f.name.begin(), f.name.begin() + n);
        auto [it, fresh] = all.try_emplace(parent);
        if (fresh) it->second.exists = false;
      }
      Entry& e = all[f.name];
      e.exists = true;
      e.subscribed = f.subscribed;
      e.special_use = std::move(f.special_use);
    }
    // The INBOX's children: with the "INBOX." prefix every folder, else
    // those named "INBOX/..." (whose level {"INBOX"} is the INBOX itself).
    const bool courier = ctx_.names.style() == NamespaceStyle::kCourier;
    const store::FolderName inbox_level =
        courier ? store::FolderName{} : store::FolderName{"INBOX"};
    for (auto& [name, e] : all) {
      e.folder = name;
      const store::FolderName& level = name.empty() ? inbox_level : name;
      for (auto it = all.upper_bound(level); it != all.end() && below(it->first, level); ++it) {
        if (it->second.exists) e.children = true;
        if (it->second.subscribed) e.subscribed_child = true;
      }
    }
    if (!courier) all.erase(inbox_level);
    Listed out;
    for (auto& [name, e] : all) {
      const std::string shown = ctx_.names.to_name(name);
      bool match = false;
      for (const std::string& p : patterns) {
        if (list_matches(p, shown, sep)) match = true;
      }
      if (!match) continue;
      if (only_special && e.special_use.empty()) continue;
      if (only_subscribed && !e.subscribed) {
        // RFC 5258 3.5 (RECURSIVEMATCH) and RFC 3501 6.3.9 (LSUB with "%"):
        // a parent of a subscribed folder is listed, marked as such.
        if (!(e.subscribed_child && (recursive || lsub))) continue;
      }
      out.entries.push_back(e);
    }
    if (want_status) {
      for (size_t i = 0; i < out.entries.size(); ++i) {
        if (!out.entries[i].exists) continue;
        auto s = boxes_->status(out.entries[i].folder);
        if (s) out.status[i] = *s;  // a folder deleted meanwhile: no STATUS
      }
    }
    return out;
  });
  if (!listed) {
    store_error(c, listed.error());
    co_return;
  }
  for (size_t i = 0; i < listed->entries.size(); ++i) {
    const Entry& e = listed->entries[i];
    std::vector<std::string> attrs;
    // A level that is no folder: RFC 3501's \Noselect, LIST-EXTENDED's
    // \NonExistent (which implies it) when the client spoke that.
    if (!e.exists)
      attrs.emplace_back(extended && !only_subscribed ? "\\NonExistent" : "\\Noselect");
    if (!lsub) attrs.emplace_back(e.children ? "\\HasChildren" : "\\HasNoChildren");
    if (show_subscribed && e.subscribed) attrs.emplace_back("\\Subscribed");
    if (!lsub) attrs.insert(attrs.end(), e.special_use.begin(), e.special_use.end());
    std::string line = verb;
    line += '(';
    for (size_t a = 0; a < attrs.size(); ++a) {
      if (a > 0) line += ' ';
      line += attrs[a];
    }
    line += ") " + sep_string + ' ';
    const std::string shown = ctx_.names.to_name(e.folder);
    proto::append_astring(line, proto::mutf7_encode(shown).value_or(shown));
    if (!lsub && only_subscribed && !e.subscribed && e.subscribed_child) {
      line += " (\"CHILDINFO\" (\"SUBSCRIBED\"))";
    }
    untagged(line);
    if (auto s = listed->status.find(i); s != listed->status.end()) {
      untagged(status_line(shown, s->second, args.status_items));
    }
  }
  ok(c, lsub ? "LSUB completed" : "LIST completed");
}

}  // namespace hm::imap
