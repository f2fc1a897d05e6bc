#include "store/mailbox_path.h"

#include <sys/stat.h>

#include <cerrno>
#include <vector>

#include "base/strings.h"
#include "mail/address_syntax.h"

namespace hm::store {
Result<std::string> virtual_maildir_path(std::string_view virtual_base, std::string_view address,
                                         std::string_view mailbox) {
  auto refuse = [&](std::string_view why) {
    return fail(ErrorKind::kInvalid,
                "the mailbox path '" + std::string(mailbox) + "' of " + std::string(address) +
                    " is refused: " + std::string(why),
                "a virtual account's mailbox must be <its domain>/<name>/ below virtual_base");
  };
  std::string_view domain = mail::domain_of(address);
  if (domain.empty()) return refuse("the account has no domain");
  if (mailbox.empty()) return refuse("it is empty");
  if (mailbox.front() == '/') return refuse("it is absolute");
  if (mailbox.find('\0') != std::string_view::npos) return refuse("it holds a NUL byte");

  std::string_view rest = mailbox;
  if (rest.back() == '/') rest.remove_suffix(1);
  std::vector<std::string_view> parts;
  while (true) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (part.empty()) return refuse("it has an empty path part ('//')");
    if (part == "." || part == "..") return refuse("it has a '.' or '..' part");
    if (part.front() == '.') return refuse("a path part starts with '.'");
    parts.push_back(part);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (!iequals(parts.front(), domain)) {
    return refuse("it does not lie in the folder of the account's domain " + std::string(domain));
  }
  if (parts.size() < 2) return refuse("it is the domain's folder itself");

  std::string path(virtual_base);
  if (!path.empty() && path.back() != '/') path += '/';
  path += mailbox;
  if (path.back() != '/') path += '/';
  return path;
}

Result<std::string> local_maildir_path(std::string_view home) {
  auto refuse = [&](std::string_view why) {
    return fail(ErrorKind::kInvalid,
                "the home folder '" + std::string(home) + "' is refused: " + std::string(why),
                "a local user's home must be an absolute path of plain names");
  };
  if (home.empty() || home.front() != '/') return refuse("it is not an absolute path");
  if (home.find('\0') != std::string_view::npos) return refuse("it holds a NUL byte");
  std::string_view rest = home.substr(1);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (part.empty()) return refuse("it has an empty path part ('//')");
    if (part == "." || part == "..") return refuse("it has a '.' or '..' part");
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::string path(home);
  if (path.back() != '/') path += '/';
  path += "Maildir/";
  return path;
}

std::string new_mailbox_attribute(std::string_view domain, std::string_view local, int generation) {
  std::string mailbox(domain);
  mailbox += '/';
  const size_t start = mailbox.size();
  for (char c : local) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                c == '+' || c == '=' || static_cast<unsigned char>(c) >= 0x80 ||
                (c == '.' && mailbox.size() > start);
    mailbox += keep ? c : '_';
  }
  if (mailbox.size() == start) mailbox += '_';
  if (generation > 1) mailbox += "." + std::to_string(generation);
  mailbox += '/';
  return mailbox;
}

bool mailbox_on_disk(std::string_view virtual_base, std::string_view mailbox) {
  if (virtual_base.empty()) return false;
  std::string path(virtual_base);
  if (path.back() != '/') path += '/';
  path += mailbox;
  // Without the trailing '/', which would make lstat follow a link.
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 || errno != ENOENT;
}

}  // namespace hm::store
