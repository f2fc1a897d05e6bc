#pragma once
// One MessageIndex (message_index.h) per folder per process, shared by the
// process's open mailboxes of that folder: the loaded index holds every
// cached value in memory, so twenty sessions on one INBOX would otherwise
// hold twenty copies of it.
//
// Folders are told apart by device and inode (a renamed folder keeps its
// index; the registry's entry keeps the folder open, so its inode cannot be
// reused while the entry lives) and by UIDVALIDITY (a rebuilt UID list
// starts a new index). Entries live while a mailbox holds them; the last
// holder's release flushes what is pending.
//
// Thread-safety: acquire() and every method may be called from any thread;
// a mutex serializes the calls on one index.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "store/maildir/message_index.h"

namespace hm::store::maildir {

class SharedIndex {
 public:
  // The index of the folder open as `dir_fd` (`shown`: its path) for
  // `uid_validity`: the one this process has open (refreshed with what
  // other processes wrote), else a new one loaded from the file. nullptr
  // only when the folder cannot be inspected (the caller then works
  // without an index).
  static std::shared_ptr<SharedIndex> acquire(int dir_fd, const std::string& shown,
                                              uint32_t uid_validity, IndexOptions options);
  ~SharedIndex();
  SharedIndex(const SharedIndex&) = delete;
  SharedIndex& operator=(const SharedIndex&) = delete;

  std::optional<std::string> get(uint32_t uid, std::string_view base, std::string_view key);
  void put(uint32_t uid, std::string_view base, std::string_view key, std::string_view value);
  std::optional<FileFacts> file_facts(uint32_t uid, std::string_view base);
  void put_file_facts(uint32_t uid, std::string_view base, FileFacts facts);
  void forget(const std::vector<uint32_t>& uids);
  // Writes what waits (message_index.h: flush).
  Status flush();
  // Reads what other processes wrote.
  void refresh();

  // For tests: how many folders' indexes this process holds.
  static size_t open_count();

 private:
  SharedIndex() = default;
  std::mutex mutex_;
  UniqueFd folder_;  // a descriptor of the folder of our own, open while the index lives
  std::unique_ptr<MessageIndex> index_;
};

}  // namespace hm::store::maildir
