#pragma once
// The index of one Maildir folder: a cache, per message, of what FETCH and
// SEARCH would otherwise read or parse the file for (store::Mailbox::cache's
// "envelope", "bodystructure", "body", "header:<FIELD>"), and the wire size
// and internal date of files whose names do not carry them (put_file_facts).
// It lives beside the UID list as "hostmail-index"; docs/store-format.md
// describes the format, and this file is its one reader and writer.
//
// A cache, never a record: the UID list (uid_list.h) holds everything that
// must not be lost. A missing, truncated or corrupt index, one of another
// UIDVALIDITY, or an entry whose message has another base name, is
// ignored (every block is checksummed, CRC-32C, length included) and
// rebuilt as clients ask again; so nothing here is fsynced.
//
// Why an append-only log: values arrive a few at a time (a FETCH of new
// messages, another session's first look), from several processes. A flush
// appends one checksummed block with the new records, cheap however large
// the index; a reader stops at the first block that does not check (a
// writer still writing it, or a crash's torn tail). When dead records (of
// replaced values and forgotten UIDs) outweigh the live ones, or the file
// is bad, the next flush compacts: it writes the live records to
// "hostmail-index.tmp" and renames it over the index, so a reader sees
// the old file or the new one. A sorted file with an offset table would
// load without parsing, but every put would then rewrite it; loading the
// log is one read and one pass (bench/index_load_bench: 100,000 messages
// with an envelope, a body structure and two header fields, 72 MiB, load
// in about 0.2 s on a loaded 2-core test machine). It is read, not
// mmap()ed: a file cut short by a person or another tool while mapped
// would be SIGBUS for the whole server. The loaded file stays in memory
// (values are views into it), so a process should share one MessageIndex
// per folder between its sessions rather than load one per session.
//
// Concurrency: writers append and compact under an fcntl() lock of their
// own, on "hostmail-index.lock" (open-file-description locks, falling back
// to POSIX ones; both hold across processes and over NFS), so they never
// wait for the UID list's lock nor make it wait. Readers take no lock.
// Before writing, a flush reads what others appended since its last look,
// so the latest put of a value wins across processes.
//
// Bounds: a value up to kMaxIndexValue bytes, a key up to kMaxIndexKey, at
// most kMaxIndexKeys values per message (more are not kept), the file up to
// IndexOptions::max_file_bytes; forgotten UIDs (forget, keep_only) leave
// the file at the next compaction.
//
// Thread-safety: one MessageIndex is used by one thread at a time; any
// number of them, in any processes, may work on one folder's index.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace hm::store::maildir {

inline constexpr const char* kIndexName = "hostmail-index";
inline constexpr const char* kIndexTmpName = "hostmail-index.tmp";
inline constexpr const char* kIndexLockName = "hostmail-index.lock";
inline constexpr size_t kMaxIndexValue = 64 * 1024;
inline constexpr size_t kMaxIndexKey = 255;
inline constexpr size_t kMaxIndexBase = 255;
inline constexpr size_t kMaxIndexKeys = 32;

struct IndexOptions {
  // How long flush() waits for another writer's lock before kTemporary.
  std::chrono::milliseconds lock_timeout{30000};
  // Compaction once the file holds more than this many bytes beyond
  // twice the live records (dead records bounded, small files left be).
  uint64_t compact_slack = 1 << 20;
  // put() flushes by itself once this many bytes wait, so that warming a
  // large folder needs no flush between messages ...
  size_t flush_at = 4 << 20;
  // ... and, while flushes fail (a folder the process may not write),
  // forgets what waits past this many bytes: memory stays bounded, and
  // the values are still served from memory.
  size_t max_pending = 64 << 20;
  // A larger file is not read (treated as bad, so rewritten), and puts
  // that would make the live records pass half of it are not kept.
  uint64_t max_file_bytes = uint64_t{1} << 30;
};

// What a file's name may not tell: RFC822.SIZE and INTERNALDATE.
struct FileFacts {
  uint64_t wire_size = 0;     // with CRLF line ends
  int64_t internal_date = 0;  // unix seconds
};

class MessageIndex {
 public:
  // Opens the index of the folder open as `dir_fd` (`shown`: its path,
  // for messages; the descriptor must stay open while the index lives) for
  // the folder's current `uid_validity`, and loads it. A missing, bad or
  // unreadable index is an empty one (logged): the folder works without
  // it.
  static std::unique_ptr<MessageIndex> open(int dir_fd, std::string shown, uint32_t uid_validity,
                                            IndexOptions options = {});
  ~MessageIndex();
  MessageIndex(const MessageIndex&) = delete;
  MessageIndex& operator=(const MessageIndex&) = delete;

  // The value of `key` for the message `uid` whose file has the base name
  // `base`, if kept. The view lasts until the next call of a non-const
  // method.
  std::optional<std::string_view> get(uint32_t uid, std::string_view base,
                                      std::string_view key) const;
  // Keeps `value` (seen by get at once, written by the next flush, or by
  // put itself past IndexOptions::flush_at). A
  // message's entry under another base name is dropped first. Ignored when
  // it passes the bounds above or `base` or `key` is empty.
  void put(uint32_t uid, std::string_view base, std::string_view key, std::string_view value);

  std::optional<FileFacts> file_facts(uint32_t uid, std::string_view base) const;
  void put_file_facts(uint32_t uid, std::string_view base, FileFacts facts);

  // Drops the entries of `uids` (expunged), here and, at the next flush,
  // for every reader.
  void forget(const std::vector<uint32_t>& uids);
  // Drops every entry whose UID is not in `live` (ascending): those of
  // messages expunged by any tool.
  void keep_only(const std::vector<uint32_t>& live);

  // Reads what other processes appended, or their compacted file. No lock.
  // I/O errors leave the index as it was (kTemporary).
  Status refresh();
  // Writes the puts and forgets since the last flush, under the lock;
  // compacts when due. kTemporary (I/O, the lock not got in time): the
  // pending changes stay for the next flush.
  Status flush();

  // For tests and the benchmark.
  size_t messages() const { return entries_.size(); }
  uint64_t live_bytes() const { return live_bytes_; }
  bool pending() const { return !pending_.empty(); }
  size_t pending_bytes() const { return pending_.size(); }

 private:
  struct Value {
    std::string_view key;
    std::string_view value;
  };
  struct Entry {
    std::string_view base;
    std::vector<Value> values;
  };
  MessageIndex(int dir_fd, std::string shown, uint32_t uid_validity, IndexOptions options);
  // Applies the records of one block's payload (checked); false if one
  // breaks the format (the block is then bad).
  bool apply_records(std::string_view payload);
  void set(Entry& entry, std::string_view base, std::string_view key, std::string_view value);
  void drop(uint32_t uid);
  // Reads the file from `offset` (0: all, header included) into a new
  // buffer and applies its good blocks; sets file_* below.
  Status load(bool from_start);
  Status rewrite();
  Status append_pending();
  // Flushes past flush_at; drops what waits past max_pending.
  void bound_pending();
  // A stable copy of `bytes` in buffers_.
  std::string_view stash(std::string_view bytes);

  int dir_fd_;
  std::string shown_;
  uint32_t uid_validity_;
  IndexOptions options_;
  UniqueFd lock_file_;  // opened at the first flush

  std::unordered_map<uint32_t, Entry> entries_;
  uint64_t live_bytes_ = 0;  // encoded size of the live records
  // Storage the views above point into: file contents and put records.
  std::deque<std::string> buffers_;
  // Records (encoded) not yet written.
  std::string pending_;

  // What was read of the file: its identity, how far its good blocks go,
  // whether something bad follows them (or the header was bad).
  uint64_t file_ino_ = 0;
  uint64_t file_dev_ = 0;
  uint64_t file_good_end_ = 0;
  uint64_t file_size_ = 0;
  bool file_bad_ = false;
  bool file_missing_ = true;
};

}  // namespace hm::store::maildir
