#include "store/maildir/uid_list.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <unordered_set>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/sys_error.h"
#include "store/maildir/maildir_name.h"

namespace hm::store::maildir {

namespace {

constexpr std::string_view kMagic = "hostmail-uidlist 2";
constexpr std::string_view kMagicV1 = "hostmail-uidlist 1";
// A list is read whole; a folder of a million messages has a list of about
// 80 MB. Anything larger is not ours.
constexpr size_t kMaxListBytes = size_t{1} << 30;

std::optional<uint64_t> parse_number(std::string_view s) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// Splits off the first word (up to a space) of `line`.
std::string_view next_word(std::string_view& line) {
  size_t space = line.find(' ');
  std::string_view word = line.substr(0, space);
  line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  return word;
}

// "1:3,7" for {{1,3},{7,7}}.
std::string format_ranges(const std::vector<std::pair<uint32_t, uint32_t>>& ranges) {
  std::string out;
  for (const auto& [first, last] : ranges) {
    if (!out.empty()) out += ',';
    out += first == last ? fmt::format("{}", first) : fmt::format("{}:{}", first, last);
  }
  return out;
}

std::optional<std::vector<std::pair<uint32_t, uint32_t>>> parse_ranges(std::string_view text,
                                                                       uint64_t uid_next) {
  std::vector<std::pair<uint32_t, uint32_t>> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t colon = item.find(':');
    auto first = parse_number(item.substr(0, colon));
    auto last = colon == std::string_view::npos ? first : parse_number(item.substr(colon + 1));
    if (!first || !last || *first == 0 || *last < *first || *last >= uid_next) return std::nullopt;
    if (!out.empty() && *first <= uint64_t{out.back().second} + 1) return std::nullopt;
    out.emplace_back(static_cast<uint32_t>(*first), static_cast<uint32_t>(*last));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

size_t range_count(const UidList& list) {
  size_t n = 0;
  for (const ExpungedRun& r : list.expunged) n += r.ranges.size();
  return n;
}

}  // namespace

void record_expunged(UidList& list, uint64_t modseq, const std::vector<uint32_t>& uids) {
  if (uids.empty()) return;
  ExpungedRun run{modseq, {}};
  for (uint32_t uid : uids) {
    if (!run.ranges.empty() && run.ranges.back().second + 1 == uid) {
      run.ranges.back().second = uid;
    } else {
      run.ranges.emplace_back(uid, uid);
    }
  }
  list.expunged.push_back(std::move(run));
  // Bounded: the oldest runs go, and the record then answers only for
  // MODSEQs from the newest dropped one on (the caller falls back to "every
  // UID not in the view", which QRESYNC allows).
  size_t total = range_count(list);
  size_t drop = 0;
  while (total > kMaxExpungedRanges && drop + 1 < list.expunged.size()) {
    total -= list.expunged[drop].ranges.size();
    list.expunged_floor = std::max(list.expunged_floor, list.expunged[drop].modseq);
    ++drop;
  }
  list.expunged.erase(list.expunged.begin(), list.expunged.begin() + static_cast<long>(drop));
  if (total > kMaxExpungedRanges) {
    // One run alone is too large: keep none of it.
    list.expunged_floor = std::max(list.expunged_floor, list.expunged.back().modseq);
    list.expunged.clear();
  }
}

std::optional<std::vector<uint32_t>> expunged_after(const UidList& list, uint64_t modseq) {
  if (modseq < list.expunged_floor) return std::nullopt;
  std::vector<uint32_t> out;
  for (const ExpungedRun& run : list.expunged) {
    if (run.modseq <= modseq) continue;
    for (const auto& [first, last] : run.ranges) {
      for (uint64_t uid = first; uid <= last; ++uid) out.push_back(static_cast<uint32_t>(uid));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string format_uid_list(const UidList& list) {
  std::string out;
  out.reserve(80 + list.entries.size() * 72);
  out += fmt::format("{}\nuidvalidity {}\nuidnext {}\nhighestmodseq {}\n", kMagic,
                     list.uid_validity, list.uid_next, list.highest_modseq);
  out += fmt::format("recent {}\nexpungedfloor {}\n", list.recent_uid, list.expunged_floor);
  if (list.folder_times) {
    out += fmt::format("folders {} {}\n", list.folder_times->new_ns, list.folder_times->cur_ns);
  }
  for (const ExpungedRun& run : list.expunged) {
    out += fmt::format("expunged {} {}\n", run.modseq, format_ranges(run.ranges));
  }
  for (const UidEntry& e : list.entries) {
    out += fmt::format("{} {} {} {}\n", e.uid, e.modseq, e.flags.empty() ? "-" : e.flags, e.base);
  }
  out += fmt::format("end {}\n", list.entries.size());
  return out;
}

Result<UidList> parse_uid_list(std::string_view text) {
  size_t line_no = 0;
  auto bad = [&](std::string_view why) {
    return fail(ErrorKind::kInvalid, fmt::format("line {}: {}", line_no, why));
  };
  auto next_line = [&](std::string_view& line) {
    if (text.empty()) return false;
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return false;  // a last line without LF is cut off
    line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    ++line_no;
    return true;
  };
  auto header = [&](std::string_view key) -> std::optional<uint64_t> {
    std::string_view line;
    if (!next_line(line)) return std::nullopt;
    if (next_word(line) != key) return std::nullopt;
    return parse_number(line);
  };

  std::string_view line;
  if (!next_line(line) || (line != kMagic && line != kMagicV1)) {
    return bad("not a hostmail UID list of version 1 or 2");
  }
  const bool v1 = line == kMagicV1;
  UidList list;
  auto validity = header("uidvalidity");
  if (!validity || *validity == 0 || *validity > kMaxUid) return bad("bad uidvalidity line");
  list.uid_validity = static_cast<uint32_t>(*validity);
  auto next = header("uidnext");
  if (!next || *next == 0 || *next > kMaxUid + 1) return bad("bad uidnext line");
  list.uid_next = *next;
  auto modseq = header("highestmodseq");
  if (!modseq || *modseq == 0) return bad("bad highestmodseq line");
  list.highest_modseq = *modseq;
  if (v1) {
    // Written before \Recent and expunges were recorded: nothing is recent,
    // and the record of expunges starts now.
    list.recent_uid = static_cast<uint32_t>(list.uid_next - 1);
    list.expunged_floor = list.highest_modseq;
  } else {
    auto recent = header("recent");
    if (!recent || *recent >= list.uid_next) return bad("bad recent line");
    list.recent_uid = static_cast<uint32_t>(*recent);
    auto floor = header("expungedfloor");
    if (!floor || *floor > list.highest_modseq) return bad("bad expungedfloor line");
    list.expunged_floor = *floor;
  }

  std::unordered_set<std::string_view> bases;
  while (true) {
    if (!next_line(line)) return bad("the list is cut off (no end line)");
    std::string_view rest = line;
    std::string_view first = next_word(rest);
    if (first == "folders" && !v1 && !list.folder_times && list.expunged.empty() &&
        list.entries.empty()) {
      auto new_ns = parse_number(next_word(rest));
      auto cur_ns = parse_number(rest);
      if (!new_ns || !cur_ns || *new_ns > INT64_MAX || *cur_ns > INT64_MAX) {
        return bad("bad folders line");
      }
      list.folder_times =
          UidList::FolderTimes{static_cast<int64_t>(*new_ns), static_cast<int64_t>(*cur_ns)};
      continue;
    }
    if (first == "expunged" && !v1 && list.entries.empty()) {
      auto mod = parse_number(next_word(rest));
      const uint64_t after =
          list.expunged.empty() ? list.expunged_floor : list.expunged.back().modseq;
      if (!mod || *mod <= after || *mod > list.highest_modseq) {
        return bad("an expunged line's MODSEQ out of order");
      }
      auto ranges = parse_ranges(rest, list.uid_next);
      if (!ranges) return bad("an expunged line's UIDs are not a UID set");
      list.expunged.push_back({*mod, std::move(*ranges)});
      continue;
    }
    if (first == "end") {
      auto count = parse_number(rest);
      if (!count || *count != list.entries.size()) return bad("the end line's count is wrong");
      break;
    }
    UidEntry e;
    auto uid = parse_number(first);
    auto mod = parse_number(next_word(rest));
    std::string_view flags = next_word(rest);
    if (!uid || *uid == 0 || *uid >= list.uid_next) return bad("a UID not below uidnext");
    if (!list.entries.empty() && *uid <= list.entries.back().uid) return bad("UIDs not ascending");
    if (!mod || *mod == 0 || *mod > list.highest_modseq) return bad("a MODSEQ above the highest");
    if (flags.empty()) return bad("no flags field");
    e.uid = static_cast<uint32_t>(*uid);
    e.modseq = *mod;
    e.flags = flags == "-" ? std::string() : std::string(flags);
    if (normalize_flags(e.flags) != e.flags) return bad("flags not in normal form");
    auto name = parse_maildir_name(rest);
    if (!name || name->base != rest) return bad("not a Maildir base name");
    if (!bases.insert(rest).second) return bad("a base name twice");
    e.base = std::string(rest);
    list.entries.push_back(std::move(e));
  }
  if (!text.empty()) return bad("text after the end line");
  return list;
}

Result<std::optional<UidList>> read_uid_list(int dir_fd, const std::string& shown) {
  const std::string path = shown + "/" + kUidListName;
  auto fd = fs::open_regular(dir_fd, kUidListName, path, O_RDONLY);
  if (!fd) {
    if (fd.error().kind() == ErrorKind::kNotFound) return std::optional<UidList>();
    return fail(fd.error());
  }
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(sys_error(errno, "read", path));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxListBytes) {
      return fail(ErrorKind::kInvalid, path + " is larger than any UID list hostmail writes");
    }
  }
  auto list = parse_uid_list(text);
  if (!list) {
    return fail(ErrorKind::kInvalid,
                fmt::format("{} is corrupt: {}", path, list.error().message()));
  }
  return std::optional<UidList>(std::move(*list));
}

Status write_uid_list(int dir_fd, const UidList& list, const std::string& shown, bool fsync) {
  const std::string tmp_path = shown + "/" + kUidListTmpName;
  // Step 1: a temporary file of our own, written and fsynced before it gets
  // the real name (a rename of an unsynced file could leave an empty list
  // after a power loss). A leftover of a crashed writer is ours to remove:
  // the caller holds the folder's lock, so no other writer is using it.
  if (fs::file_system().unlink(dir_fd, kUidListTmpName) != 0 && errno != ENOENT) {
    return fail(sys_error(errno, "remove", tmp_path));
  }
  fs::NewFile how;
  how.mode = 0600;
  how.fsync = fsync;
  HM_TRY(fs::write_new_file(dir_fd, kUidListTmpName, format_uid_list(list), how, tmp_path));
  // Step 2: rename over the old list: atomic, readers see the old or the new
  // file, never a mix.
  if (fs::file_system().rename(dir_fd, kUidListTmpName, dir_fd, kUidListName, 0) != 0) {
    Error e = sys_error(errno, "rename", tmp_path);
    (void)fs::file_system().unlink(dir_fd, kUidListTmpName);
    return fail(std::move(e));
  }
  // Step 3: fsync the folder, which holds the new name: only now does the
  // new list survive a crash, and only now may a client hear of its UIDs.
  if (fsync) HM_TRY(fs::sync_folder(dir_fd, ".", shown));
  return ok();
}

}  // namespace hm::store::maildir
