#pragma once
// Durable delivery of one message into one or more Maildirs.
//
// The durability order (see the .cc for each step): write the message once to
// tmp/ of the first target, fsync the file; link(2) it into new/ of every
// target on the same file system (one copy, several names), copying where a
// link is impossible (another file system), or with a single target rename
// it there (never replacing: RENAME_NOREPLACE); fsync every new/ directory;
// then remove the tmp/ name if one is left. Only when this returns success
// may the caller say "250". Maildirs (with cur/ new/ tmp/, tmp/ last) are
// created on first delivery, mode 0700, owned by the target's uid/gid when
// running as root; the folders that hold their names are fsynced on a second
// thread while the message is written, and waited for before this returns.
// A Maildir whose tmp/ exists is taken as complete (one look-up per
// delivery); a new/ that has gone is created again.
//
// File names follow the Maildir convention and are unique across processes
// and hosts: "<seconds>.M<micro>P<pid>Q<counter>R<random>.<host>,S=<size>,W=<size
// with CRLF line ends>" (the ",W=" part as Dovecot writes it, for IMAP's
// RFC822.SIZE).
//
// Thread-safe: may be called from any number of threads and processes.

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/stored_message.h"

namespace hm::store::maildir {

struct MaildirTarget {
  std::string path;  // the Maildir's root, e.g. "<virtual_base>/example.org/john/"
  uid_t uid = static_cast<uid_t>(-1);  // owner for created dirs/files; -1: leave as is
  gid_t gid = static_cast<gid_t>(-1);
  // When set: `path` lies below the folder open as `base_fd`, at `relative`,
  // and nothing on the way from there to new/ may be a symbolic link. The
  // check is made where new/ is opened for its fsync anyway (no extra system
  // call), so a delivery through a link fails and its name is taken back;
  // with options.fsync off nothing is checked.
  int base_fd = -1;
  std::string relative{};
};

struct DeliveryOptions {
  std::string hostname;  // for unique names
  bool fsync = true;     // false only for tests and benchmarks that say so
};

// One entry per target, in order: the file name in new/ on success, or why
// that target failed (kTemporary for I/O errors such as ENOSPC, kPermission...).
// `message` is in its stored form (LF line ends). Every call of the file
// system that changes the disk goes through base/file_system.h.
std::vector<Result<std::string>> deliver(const StoredMessage& message,
                                         const std::vector<MaildirTarget>& targets,
                                         const DeliveryOptions& options);
// The same for text already in the stored form (tests and tools); copies it.
std::vector<Result<std::string>> deliver(std::string_view message,
                                         const std::vector<MaildirTarget>& targets,
                                         const DeliveryOptions& options);

// A new unique Maildir base name (without the ",S=" part).
std::string unique_name(const std::string& hostname);

}  // namespace hm::store::maildir
