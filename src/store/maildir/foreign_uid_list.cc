#include "store/maildir/foreign_uid_list.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/folder_fd.h"
#include "base/log.h"
#include "base/sys_error.h"
#include "store/maildir/courier_files.h"
#include "store/maildir/maildir_keywords.h"
#include "store/maildir/maildir_name.h"

namespace hm::store::maildir {
namespace {

// Neither server writes lists this large; the bound keeps a hostile file
// from taking the memory of the process that opens the folder.
constexpr size_t kMaxForeignListBytes = size_t{1} << 30;

std::optional<uint64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

auto bad(size_t line_no, std::string_view why) {
  return fail(ErrorKind::kInvalid, fmt::format("line {}: {}", line_no, why));
}

// The header's UIDVALIDITY and UIDNEXT, checked: a UIDVALIDITY is never 0
// and a UIDNEXT is at most one above the largest UID.
Status check_header(ForeignUidList& out, std::optional<uint64_t> validity,
                    std::optional<uint64_t> next) {
  if (!validity || *validity == 0 || *validity > 0xffffffffULL) {
    return bad(1, "no valid UIDVALIDITY");
  }
  if (!next || *next == 0 || *next > kMaxUid + 1) return bad(1, "no valid next UID");
  out.uid_validity = static_cast<uint32_t>(*validity);
  out.uid_next = *next;
  return ok();
}

// Adds "<uid>" and the name to `out`; the name's info (":2,...") is cut
// off, as both servers match files by their base.
Status add_entry(ForeignUidList& out, size_t line_no, std::string_view uid_text,
                 std::string_view name) {
  auto uid = number(uid_text);
  if (!uid || *uid == 0 || *uid > kMaxUid) return bad(line_no, "no valid UID");
  auto parsed = parse_maildir_name(name);
  if (!parsed || parsed->base.empty()) return bad(line_no, "no valid file name");
  out.entries.push_back({static_cast<uint32_t>(*uid), std::move(parsed->base)});
  return ok();
}

// Calls `each(line_no, line)` for every non-empty line after the first;
// returns the first line.
template <typename Each>
Result<std::string_view> lines(std::string_view text, Each&& each) {
  size_t line_no = 0;
  std::optional<std::string_view> first;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!first) {
      first = line;
      continue;
    }
    if (line.empty()) continue;
    HM_TRY(each(line_no, line));
  }
  if (!first) return fail(ErrorKind::kInvalid, "empty file");
  return *first;
}

// Version 1 (Courier's, and Dovecot's first): "1 <validity> <next>", then
// "<uid> <name>".
Result<ForeignUidList> parse_version1(std::string_view text) {
  ForeignUidList out;
  auto first = lines(text, [&](size_t line_no, std::string_view line) -> Status {
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return bad(line_no, "no file name");
    return add_entry(out, line_no, line.substr(0, sp), line.substr(sp + 1));
  });
  if (!first) return fail(first.error());
  auto head = words(*first);
  if (head.size() < 3 || head[0] != "1") return bad(1, "not a version 1 header");
  HM_TRY(check_header(out, number(head[1]), number(head[2])));
  return out;
}

Result<ForeignUidList> parse_dovecot_v3(std::string_view text) {
  ForeignUidList out;
  auto first = lines(text, [&](size_t line_no, std::string_view line) -> Status {
    // "<uid> [<key><value> ...] :<name>": the name is all after the first
    // " :" (extension values hold no space).
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return bad(line_no, "no file name");
    const size_t colon = line.find(" :", sp);
    if (colon == std::string_view::npos) return bad(line_no, "no ':' before the file name");
    return add_entry(out, line_no, line.substr(0, sp), line.substr(colon + 2));
  });
  if (!first) return fail(first.error());
  auto head = words(*first);
  if (head.empty() || head[0] != "3") return bad(1, "not a version 3 header");
  std::optional<uint64_t> validity, next;
  // Fields are "<key><value>" in any order; keys other than V and N (the
  // mailbox GUID G, ...) are not needed here.
  for (size_t i = 1; i < head.size(); ++i) {
    if (head[i][0] == 'V') validity = number(head[i].substr(1));
    if (head[i][0] == 'N') next = number(head[i].substr(1));
  }
  HM_TRY(check_header(out, validity, next));
  return out;
}

Result<std::string> read_foreign(int dir_fd, const char* name, const std::string& shown,
                                 bool& exists) {
  const std::string path = shown + "/" + name;
  exists = false;
  auto fd = fs::open_regular(dir_fd, name, path, O_RDONLY);
  if (!fd) {
    if (fd.error().kind() == ErrorKind::kNotFound) return std::string();
    return fail(fd.error());
  }
  exists = true;
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(sys_error(errno, "read", path));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxForeignListBytes) {
      return fail(ErrorKind::kInvalid, path + " is larger than any UID list");
    }
  }
  return text;
}

// A message file of cur/ or new/ (cur/ wins when both hold the base).
struct Present {
  bool in_cur = false;
  std::string name;   // the whole file name
  std::string flags;  // normalized
};
using PresentMap = std::unordered_map<std::string, Present>;

Result<PresentMap> messages_present(int dir_fd, const std::string& shown) {
  PresentMap found;
  for (const char* sub : {"new", "cur"}) {
    const std::string path = shown + "/" + sub;
    auto fd = open_folder_nofollow(dir_fd, sub, path);
    if (!fd) return fail(fd.error());
    auto names = list_folder(fd->get(), path);
    if (!names) return fail(names.error());
    for (std::string& file : *names) {
      auto parsed = parse_maildir_name(file);
      if (parsed) found[parsed->base] = Present{sub[0] == 'c', std::move(file), parsed->flags};
    }
  }
  return found;
}

std::vector<std::pair<std::string, std::string>> flags_of(const PresentMap& present) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(present.size());
  for (const auto& [base, file] : present) out.emplace_back(base, file.flags);
  return out;
}

// Courier's keywords (courierimapkeywords/:list) as hostmail keeps them:
// names in dovecot-keywords (written first, so no letter is ever on a file
// without its name), letters in the file names (renamed into cur/; the
// base stays, so Courier still finds its messages).
Status take_courier_keywords(int dir_fd, const std::string& shown, PresentMap& present) {
  const std::string kw_path = shown + "/" + kCourierKeywordsDir;
  auto kw_dir = open_folder_nofollow(dir_fd, kCourierKeywordsDir, kw_path);
  if (!kw_dir) return kw_dir.error().kind() == ErrorKind::kNotFound ? ok() : fail(kw_dir.error());
  bool exists = false;
  auto text = read_foreign(kw_dir->get(), kCourierKeywordsList, kw_path, exists);
  if (!text) return fail(text.error());
  if (!exists) return ok();
  auto wanted = parse_courier_keywords(*text);
  auto names = read_keywords(dir_fd, shown);
  if (!names) return fail(names.error());
  const std::string names_before = format_keywords(*names);
  std::vector<std::pair<Present*, std::string>> renames;
  for (const auto& [base, keywords] : wanted) {
    auto it = present.find(base);
    if (it == present.end()) continue;
    std::string letters;
    for (const std::string& kw : keywords) {
      if (!check_keyword(kw)) {
        log::warning("{}: keyword \"{}\" of {} is not valid in IMAP; left out", kw_path, kw, base);
        continue;
      }
      auto index = keyword_index(*names, kw, true);
      if (!index || !*index) {
        log::warning("{}: no letter left for keyword {} of {}; left out", kw_path, kw, base);
        continue;
      }
      letters += static_cast<char>('a' + **index);
    }
    std::string flags = normalize_flags(it->second.flags + letters);
    if (flags != it->second.flags) renames.emplace_back(&it->second, std::move(flags));
  }
  if (renames.empty()) return ok();
  if (format_keywords(*names) != names_before) HM_TRY(write_keywords(dir_fd, *names, shown));
  auto cur = open_folder_nofollow(dir_fd, "cur", shown + "/cur");
  if (!cur) return fail(cur.error());
  auto news = open_folder_nofollow(dir_fd, "new", shown + "/new");
  if (!news) return fail(news.error());
  for (auto& [file, flags] : renames) {
    auto parsed = parse_maildir_name(file->name);
    const std::string to = cur_name(parsed->base, flags);
    const int from_fd = file->in_cur ? cur->get() : news->get();
    if (fs::file_system().rename(from_fd, file->name.c_str(), cur->get(), to.c_str(), 0) != 0) {
      // Renamed or expunged by another tool meanwhile: its keywords are
      // left out, the rest goes on.
      log::warning("{}", sys_error(errno, "rename", shown + "/" + file->name).message());
      continue;
    }
    file->in_cur = true;
    file->name = to;
    file->flags = flags;
  }
  if (fs::file_system().fsync(cur->get()) != 0)
    return fail(sys_error(errno, "sync", shown + "/cur"));
  if (fs::file_system().fsync(news->get()) != 0) {
    return fail(sys_error(errno, "sync", shown + "/new"));
  }
  return ok();
}

bool foreign_acl_present(int dir_fd) {
  struct stat st {};
  return ::fstatat(dir_fd, kCourierAclName, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

}  // namespace

std::string_view uid_source_name(UidSource source) {
  switch (source) {
    case UidSource::kHostmail: return "hostmail";
    case UidSource::kDovecot: return kDovecotUidListName;
    case UidSource::kCourier: return kCourierUidDbName;
    case UidSource::kNew: break;
  }
  return "new";
}

Result<ForeignUidList> parse_dovecot_uidlist(std::string_view text) {
  if (text.starts_with("1 ")) return parse_version1(text);
  if (text.starts_with("3 ")) return parse_dovecot_v3(text);
  // Version 2 was used only by a few development releases.
  return fail(ErrorKind::kInvalid, "not a dovecot-uidlist of version 1 or 3");
}

Result<ForeignUidList> parse_courier_uiddb(std::string_view text) {
  if (!text.starts_with("1 ")) {
    return fail(ErrorKind::kInvalid, "not a courierimapuiddb of version 1");
  }
  return parse_version1(text);
}

UidList list_from_foreign(const ForeignUidList& foreign,
                          const std::vector<std::pair<std::string, std::string>>& present,
                          std::vector<std::string>& dropped) {
  std::unordered_map<std::string_view, std::string_view> flags_of;
  for (const auto& [base, flags] : present) flags_of.emplace(base, flags);

  // Sorted by UID, the file's order kept among equal UIDs: the first line
  // naming a UID keeps it.
  std::vector<const ForeignEntry*> order;
  order.reserve(foreign.entries.size());
  for (const ForeignEntry& e : foreign.entries) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(),
                   [](const ForeignEntry* a, const ForeignEntry* b) { return a->uid < b->uid; });

  UidList list;
  list.uid_validity = foreign.uid_validity;
  list.uid_next = foreign.uid_next;
  list.highest_modseq = kImportedModseq;
  list.expunged_floor = kImportedModseq;
  std::unordered_set<std::string_view> named;
  for (const ForeignEntry* e : order) {
    if (!list.entries.empty() && list.entries.back().uid == e->uid) {
      dropped.push_back(fmt::format("UID {} named twice ({} dropped)", e->uid, e->base));
      continue;
    }
    if (!named.insert(e->base).second) {
      dropped.push_back(fmt::format("{} named twice (its UID {} dropped)", e->base, e->uid));
      continue;
    }
    auto it = flags_of.find(e->base);
    if (it == flags_of.end()) {
      dropped.push_back(fmt::format("UID {} names {}, which is not there", e->uid, e->base));
      continue;
    }
    UidEntry entry;
    entry.uid = e->uid;
    entry.modseq = kImportedModseq;
    entry.flags = std::string(it->second);
    entry.base = e->base;
    list.entries.push_back(std::move(entry));
  }
  if (!list.entries.empty() && list.entries.back().uid >= list.uid_next) {
    dropped.push_back(
        fmt::format("next UID {} raised above UID {}", list.uid_next, list.entries.back().uid));
    list.uid_next = uint64_t{list.entries.back().uid} + 1;
  }
  // The old server's clients have seen these messages: none is \Recent.
  list.recent_uid = static_cast<uint32_t>(list.uid_next - 1);
  return list;
}

Result<std::optional<ImportedList>> import_foreign_uid_list(int dir_fd, const std::string& shown) {
  struct Candidate {
    const char* name;
    UidSource source;
    Result<ForeignUidList> (*parse)(std::string_view);
  };
  const Candidate candidates[] = {{kDovecotUidListName, UidSource::kDovecot, parse_dovecot_uidlist},
                                  {kCourierUidDbName, UidSource::kCourier, parse_courier_uiddb}};
  for (const Candidate& c : candidates) {
    bool exists = false;
    auto text = read_foreign(dir_fd, c.name, shown, exists);
    if (!text) {
      // Too large, or not a regular file (a symbolic link is never
      // followed): the folder is numbered anew rather than left unopenable.
      const ErrorKind kind = text.error().kind();
      if (kind != ErrorKind::kInvalid && kind != ErrorKind::kPermission) return fail(text.error());
      log::warning("{}; its messages get new UIDs", text.error().message());
      return std::optional<ImportedList>();
    }
    if (!exists) continue;
    auto foreign = c.parse(*text);
    if (!foreign) {
      log::warning("{}/{} is corrupt ({}); its messages get new UIDs", shown, c.name,
                   foreign.error().message());
      return std::optional<ImportedList>();
    }
    if (foreign_acl_present(dir_fd)) {
      log::info("{}/{}: Courier's ACLs are not used by hostmail; ignored", shown, kCourierAclName);
    }
    auto present = messages_present(dir_fd, shown);
    if (!present) return fail(present.error());
    if (c.source == UidSource::kCourier) HM_TRY(take_courier_keywords(dir_fd, shown, *present));
    auto flags = flags_of(*present);
    std::vector<std::string> dropped;
    ImportedList out{list_from_foreign(*foreign, flags, dropped), c.source};
    for (const std::string& d : dropped) log::warning("{}/{}: {}", shown, c.name, d);
    log::info("{}: UIDVALIDITY {}, next UID {} and {} messages' UIDs taken from {}", shown,
              out.list.uid_validity, out.list.uid_next, out.list.entries.size(), c.name);
    return std::optional<ImportedList>(std::move(out));
  }
  return std::optional<ImportedList>();
}

Result<std::vector<std::pair<std::string, std::string>>> present_messages(
    int dir_fd, const std::string& shown) {
  auto present = messages_present(dir_fd, shown);
  if (!present) return fail(present.error());
  return flags_of(*present);
}

Result<std::string> read_foreign_uid_list(int dir_fd, UidSource source, const std::string& shown) {
  const char* name = source == UidSource::kDovecot ? kDovecotUidListName : kCourierUidDbName;
  bool exists = false;
  auto text = read_foreign(dir_fd, name, shown, exists);
  if (text && !exists) return fail(ErrorKind::kNotFound, shown + "/" + name + " is not there");
  return text;
}

UidSource foreign_uid_list_present(int dir_fd) {
  struct stat st {};
  if (::fstatat(dir_fd, kDovecotUidListName, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISREG(st.st_mode)) {
    return UidSource::kDovecot;
  }
  if (::fstatat(dir_fd, kCourierUidDbName, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
    return UidSource::kCourier;
  }
  return UidSource::kNew;
}

}  // namespace hm::store::maildir
