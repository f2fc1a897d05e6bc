#include "store/maildir/maildir_append.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/folder_fd.h"
#include "base/sys_error.h"
#include "store/maildir/maildir_delivery.h"
#include "store/maildir/maildir_keywords.h"
#include "store/maildir/maildir_mailbox.h"
#include "store/maildir/maildir_name.h"
#include "store/maildir/tmp_cleanup.h"

namespace hm::store::maildir {

namespace {

// As delivery's names draw again on a taken one: a clash is all but
// impossible, the bound only stops a broken file system from looping.
constexpr int kNameAttempts = 8;

// A base name unique per host that starts with the internal date.
std::string base_name(const MaildirAccount& account, const NewMessage& m) {
  std::string unique = unique_name(account.hostname);
  const int64_t date =
      m.internal_date > 0 ? m.internal_date : static_cast<int64_t>(::time(nullptr));
  return fmt::format("{}{},S={},W={}", date, unique.substr(unique.find('.')), m.size, m.wire_size);
}

bool cannot_link(int err) {
  return err == EXDEV || err == EPERM || err == EMLINK || err == EOPNOTSUPP;
}

// The name the message `base` has now in cur/ or new/ of its folder.
std::optional<std::pair<int, std::string>> find_again(const MaildirFolder::FileRef& ref,
                                                      const std::string& base) {
  for (int fd : {ref.cur_fd, ref.new_fd}) {
    auto names = list_folder(fd, "");
    if (!names) continue;
    for (std::string& n : *names) {
      auto parsed = parse_maildir_name(n);
      if (parsed && parsed->base == base) return std::make_pair(fd, std::move(n));
    }
  }
  return std::nullopt;
}

Result<std::string> read_source(int dir_fd, const std::string& name, const std::string& shown) {
  auto fd = fs::open_regular(dir_fd, name, shown, O_RDONLY);
  if (!fd) return fail(fd.error());
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(sys_error(errno, "read", shown));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

Result<std::vector<std::optional<uint32_t>>> add_messages(MaildirFolder& folder,
                                                          const std::vector<NewMessage>& messages,
                                                          const MaildirAccount& account) {
  const std::string& path = folder.path();
  auto tmp = open_folder_nofollow(folder.root_fd(), "tmp", path + "/tmp");
  if (!tmp) return fail(tmp.error());
  auto cur = open_folder_nofollow(folder.root_fd(), "cur", path + "/cur");
  if (!cur) return fail(cur.error());

  // tmp/ names to remove at the end, whatever happens.
  std::vector<std::string> in_tmp;
  struct TmpNames {
    int fd;
    std::vector<std::string>& names;
    ~TmpNames() {
      for (const std::string& n : names) (void)fs::file_system().unlink(fd, n.c_str());
    }
  } cleanup{tmp->get(), in_tmp};

  fs::NewFile how;
  how.fsync = account.fsync;
  // Step 1: texts into tmp/, durable, before the lock.
  auto write_tmp = [&](const NewMessage& m, std::string_view text) -> Result<std::string> {
    for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
      std::string name = base_name(account, m);
      Status s = fs::write_new_file(tmp->get(), name, text, how, path + "/tmp/" + name);
      if (!s && s.error().kind() == ErrorKind::kExists) continue;
      if (!s) return fail(s.error());
      in_tmp.push_back(name);
      return name;
    }
    return fail(ErrorKind::kTemporary, "cannot find a free file name in " + path + "/tmp");
  };
  std::vector<std::string> tmp_of(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].source) continue;
    auto name = write_tmp(messages[i], messages[i].text);
    if (!name) return fail(name.error());
    tmp_of[i] = *name;
  }

  // Step 2: under the lock, linked into cur/ and numbered.
  std::vector<std::optional<size_t>> placed_at(messages.size());
  auto place = [&]() -> Result<std::vector<std::string>> {
    auto names = read_keywords(folder.root_fd(), path);
    if (!names) return fail(names.error());
    const std::string names_before = format_keywords(*names);
    std::vector<std::string> letters(messages.size());
    for (size_t i = 0; i < messages.size(); ++i) {
      std::string l = flag_letters(messages[i].flags);
      for (const std::string& k : messages[i].keywords) {
        auto index = keyword_index(*names, k, true);
        if (!index) return fail(index.error());
        l += static_cast<char>('a' + **index);
      }
      letters[i] = normalize_flags(l);
    }
    if (format_keywords(*names) != names_before) {
      HM_TRY(write_keywords(folder.root_fd(), *names, path, account.fsync));
    }

    std::vector<std::string> bases, linked;
    auto undo = [&](Error e) -> Result<std::vector<std::string>> {
      for (const std::string& n : linked) (void)fs::file_system().unlink(cur->get(), n.c_str());
      return fail(std::move(e));
    };
    for (size_t i = 0; i < messages.size(); ++i) {
      const NewMessage& m = messages[i];
      // A text is linked from its tmp/ name, which is its base; another
      // folder's file is linked under a base of its own.
      int from_fd = m.source ? m.source->dir_fd : tmp->get();
      std::string from = m.source ? m.source->name : tmp_of[i];
      std::string base = m.source ? base_name(account, m) : from;
      bool from_source = m.source.has_value(), looked_again = false, gone = false, done = false;
      for (int attempt = 0; attempt < kNameAttempts && !done && !gone;) {
        const std::string target = cur_name(base, letters[i]);
        if (fs::file_system().link(from_fd, from.c_str(), cur->get(), target.c_str()) == 0) {
          linked.push_back(target);
          bases.push_back(base);
          done = true;
          break;
        }
        const int err = errno;
        if (err == EEXIST) {
          base = base_name(account, m);
          ++attempt;
        } else if (err == ENOENT && from_source && !looked_again) {
          // Renamed meanwhile (flags set by another session): found again
          // by its base; gone means expunged, and it is not copied.
          looked_again = true;
          auto again = find_again(*m.source, m.source_base);
          if (!again) {
            gone = true;
          } else {
            from_fd = again->first;
            from = again->second;
          }
        } else if (err == ENOENT && from_source) {
          gone = true;
        } else if (from_source && cannot_link(err)) {
          // Another file system or owner: a copy of our own.
          auto text = read_source(from_fd, from, path + "/" + from);
          if (!text && text.error().kind() == ErrorKind::kNotFound) {
            gone = true;
            continue;
          }
          if (!text) return undo(text.error());
          auto name = write_tmp(m, *text);
          if (!name) return undo(name.error());
          from_fd = tmp->get();
          from = *name;
          base = *name;
          from_source = false;
        } else {
          return undo(sys_error(err, "link into", path + "/cur"));
        }
      }
      if (done) {
        placed_at[i] = bases.size() - 1;
      } else if (!gone) {
        return undo(
            Error(ErrorKind::kTemporary, "cannot find a free file name in " + path + "/cur"));
      }
    }
    // The new names survive a crash only once cur/ is fsynced; only then
    // may the list (and a client) hear of them.
    if (account.fsync && !linked.empty()) {
      if (Status s = fs::sync_folder(cur->get(), ".", path + "/cur"); !s) return undo(s.error());
    }
    return bases;
  };
  auto uids = folder.adopt(place);
  if (!uids) return fail(uids.error());
  // What a crash of an earlier APPEND left in this tmp/ (delivery cleans
  // only the INBOX's): once a day per folder.
  tmp_cleanup().after_delivery(path);
  std::vector<std::optional<uint32_t>> out(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    if (placed_at[i]) out[i] = (*uids)[*placed_at[i]];
  }
  return out;
}

}  // namespace hm::store::maildir
