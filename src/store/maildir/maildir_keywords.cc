#include "store/maildir/maildir_keywords.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/strings.h"
#include "base/sys_error.h"

namespace hm::store::maildir {

namespace {

constexpr const char* kKeywordsTmpName = "dovecot-keywords.hostmail-tmp";
constexpr size_t kMaxFileBytes = 64 * 1024;

}  // namespace

Status check_keyword(std::string_view name) {
  auto refuse = [&](std::string_view why) {
    return fail(ErrorKind::kInvalid, fmt::format("the keyword is refused: {}", why));
  };
  if (name.empty()) return refuse("it is empty");
  if (name.size() > kMaxKeywordBytes) return refuse("it is too long");
  if (name.front() == '\\') return refuse("it starts with '\\' (a system flag's mark)");
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return refuse("it holds a space, a control or a non-ASCII byte");
    if (std::string_view("(){%*\"\\]").find(c) != std::string_view::npos) {
      return refuse("it holds one of IMAP's special characters");
    }
  }
  return ok();
}

KeywordNames parse_keywords(std::string_view text) {
  KeywordNames names;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    size_t index = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + space, index);
    if (ec != std::errc() || end != line.data() + space || index >= kMaxKeywordLetters) continue;
    std::string_view name = line.substr(space + 1);
    if (!check_keyword(name)) continue;
    if (names.size() <= index) names.resize(index + 1);
    names[index] = std::string(name);
  }
  return names;
}

std::string format_keywords(const KeywordNames& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!names[i].empty()) out += fmt::format("{} {}\n", i, names[i]);
  }
  return out;
}

Result<KeywordNames> read_keywords(int dir_fd, const std::string& shown) {
  const std::string path = shown + "/" + kKeywordsName;
  auto fd = fs::open_regular(dir_fd, kKeywordsName, path, O_RDONLY);
  if (!fd) {
    if (fd.error().kind() == ErrorKind::kNotFound) return KeywordNames{};
    return fail(fd.error());
  }
  std::string text(kMaxFileBytes, '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd->get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(sys_error(errno, "read", path));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return parse_keywords(text);
}

Status write_keywords(int dir_fd, const KeywordNames& names, const std::string& shown, bool fsync) {
  const std::string tmp_path = shown + "/" + kKeywordsTmpName;
  // Under the folder's lock: a leftover of a crashed writer is ours.
  if (fs::file_system().unlink(dir_fd, kKeywordsTmpName) != 0 && errno != ENOENT) {
    return fail(sys_error(errno, "remove", tmp_path));
  }
  fs::NewFile how;
  how.fsync = fsync;
  HM_TRY(fs::write_new_file(dir_fd, kKeywordsTmpName, format_keywords(names), how, tmp_path));
  if (fs::file_system().rename(dir_fd, kKeywordsTmpName, dir_fd, kKeywordsName, 0) != 0) {
    Error e = sys_error(errno, "rename", tmp_path);
    (void)fs::file_system().unlink(dir_fd, kKeywordsTmpName);
    return fail(std::move(e));
  }
  if (fsync) HM_TRY(fs::sync_folder(dir_fd, ".", shown));
  return ok();
}

Result<std::optional<size_t>> keyword_index(KeywordNames& names, std::string_view name, bool add) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (!names[i].empty() && iequals(names[i], name)) return std::optional<size_t>(i);
  }
  if (!add) return std::optional<size_t>();
  HM_TRY(check_keyword(name));
  for (size_t i = 0; i < kMaxKeywordLetters; ++i) {
    if (i == names.size()) names.emplace_back();
    if (names[i].empty()) {
      names[i] = std::string(name);
      return std::optional<size_t>(i);
    }
  }
  return fail(ErrorKind::kLimit,
              fmt::format("the folder has all {} keywords it can keep", kMaxKeywordLetters));
}

}  // namespace hm::store::maildir
