#include "store/maildir/message_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "base/file_system.h"
#include "base/log.h"
#include "base/sys_error.h"
#include "store/maildir/crc32c.h"
#include "store/maildir/file_lock.h"

namespace hm::store::maildir {

namespace {

// The format (docs/store-format.md, "The index"): a header, then blocks of
// records, all numbers little-endian.
constexpr std::string_view kMagic = "HMINDEX\n";
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 24;            // magic, version, UIDVALIDITY, 0, CRC
constexpr uint32_t kBlockMagic = 0x314b4c42;  // "BLK1"
constexpr size_t kBlockHeaderSize = 12;       // magic, length, CRC of length and payload
constexpr size_t kMaxBlockPayload = 4 << 20;
constexpr uint8_t kRecordValue = 1;
constexpr uint8_t kRecordForget = 2;
constexpr size_t kValueRecordFixed = 11;  // type, UID, base, key and value lengths
constexpr size_t kForgetRecordSize = 5;
constexpr size_t kStashChunk = 64 * 1024;
constexpr std::string_view kFactsKey = "file";

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t get_u32(std::string_view in, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}

std::string header(uint32_t uid_validity) {
  std::string out(kMagic);
  put_u32(out, kVersion);
  put_u32(out, uid_validity);
  put_u32(out, 0);
  put_u32(out, crc32c(out));
  return out;
}

void value_record(std::string& out, uint32_t uid, std::string_view base, std::string_view key,
                  std::string_view value) {
  out.push_back(static_cast<char>(kRecordValue));
  put_u32(out, uid);
  out.push_back(static_cast<char>(base.size()));
  out.push_back(static_cast<char>(key.size()));
  put_u32(out, static_cast<uint32_t>(value.size()));
  out.append(base).append(key).append(value);
}

size_t record_size(std::string_view base, std::string_view key, std::string_view value) {
  return kValueRecordFixed + base.size() + key.size() + value.size();
}

// Appends `records` (whole records, in order) to `out` as blocks of at most
// kMaxBlockPayload bytes each (a record larger than that has a block of its
// own: records are bounded far below).
void append_blocks(std::string& out, std::string_view records) {
  while (!records.empty()) {
    size_t take = 0;
    while (take < records.size()) {
      const auto type = static_cast<uint8_t>(records[take]);
      size_t size = kForgetRecordSize;
      if (type == kRecordValue) {
        size = kValueRecordFixed + static_cast<unsigned char>(records[take + 5]) +
               static_cast<unsigned char>(records[take + 6]) + get_u32(records, take + 7);
      }
      if (take != 0 && take + size > kMaxBlockPayload) break;
      take += size;
    }
    const std::string_view payload = records.substr(0, take);
    std::string length;
    put_u32(length, static_cast<uint32_t>(payload.size()));
    put_u32(out, kBlockMagic);
    out += length;
    put_u32(out, crc32c(payload, crc32c(length)));
    out.append(payload);
    records.remove_prefix(take);
  }
}

}  // namespace

MessageIndex::MessageIndex(int dir_fd, std::string shown, uint32_t uid_validity,
                           IndexOptions options)
    : dir_fd_(dir_fd), shown_(std::move(shown)), uid_validity_(uid_validity), options_(options) {}

MessageIndex::~MessageIndex() = default;

std::unique_ptr<MessageIndex> MessageIndex::open(int dir_fd, std::string shown,
                                                 uint32_t uid_validity, IndexOptions options) {
  std::unique_ptr<MessageIndex> index(
      new MessageIndex(dir_fd, std::move(shown), uid_validity, options));
  if (Status s = index->load(true); !s) {
    // A cache that cannot be read is an empty one; the folder still works.
    log::warning("the index of {} is not used: {}", index->shown_, s.error().describe());
  }
  return index;
}

std::string_view MessageIndex::stash(std::string_view bytes) {
  if (buffers_.empty() || buffers_.back().capacity() - buffers_.back().size() < bytes.size()) {
    buffers_.emplace_back().reserve(std::max(bytes.size(), kStashChunk));
  }
  // Within the reserved capacity the buffer never moves: views stay good.
  std::string& b = buffers_.back();
  const size_t at = b.size();
  b.append(bytes);
  return std::string_view(b).substr(at, bytes.size());
}

std::optional<std::string_view> MessageIndex::get(uint32_t uid, std::string_view base,
                                                  std::string_view key) const {
  auto it = entries_.find(uid);
  if (it == entries_.end() || it->second.base != base) return std::nullopt;
  for (const Value& v : it->second.values) {
    if (v.key == key) return v.value;
  }
  return std::nullopt;
}

void MessageIndex::set(Entry& entry, std::string_view base, std::string_view key,
                       std::string_view value) {
  if (entry.base != base) {
    // Another file under this UID (a UID list restored from elsewhere):
    // what was kept is not about it.
    for (const Value& v : entry.values) live_bytes_ -= record_size(entry.base, v.key, v.value);
    entry.values.clear();
    entry.base = base;
  }
  for (Value& v : entry.values) {
    if (v.key == key) {
      live_bytes_ -= record_size(base, v.key, v.value);
      v.value = value;
      live_bytes_ += record_size(base, key, value);
      return;
    }
  }
  if (entry.values.size() >= kMaxIndexKeys) return;
  entry.values.push_back(Value{key, value});
  live_bytes_ += record_size(base, key, value);
}

void MessageIndex::drop(uint32_t uid) {
  auto it = entries_.find(uid);
  if (it == entries_.end()) return;
  for (const Value& v : it->second.values) {
    live_bytes_ -= record_size(it->second.base, v.key, v.value);
  }
  entries_.erase(it);
}

bool MessageIndex::apply_records(std::string_view payload) {
  // Checked whole first: a block applies entirely or not at all.
  for (size_t at = 0; at < payload.size();) {
    const auto type = static_cast<uint8_t>(payload[at]);
    if (type == kRecordForget) {
      if (payload.size() - at < kForgetRecordSize) return false;
      at += kForgetRecordSize;
      continue;
    }
    if (type != kRecordValue || payload.size() - at < kValueRecordFixed) return false;
    const size_t base = static_cast<unsigned char>(payload[at + 5]);
    const size_t key = static_cast<unsigned char>(payload[at + 6]);
    const size_t value = get_u32(payload, at + 7);
    if (get_u32(payload, at + 1) == 0 || base == 0 || key == 0 || value > kMaxIndexValue ||
        payload.size() - at - kValueRecordFixed < base + key + value) {
      return false;
    }
    at += kValueRecordFixed + base + key + value;
  }
  // Records of one message follow each other: one lookup for them all.
  uint32_t last_uid = 0;
  Entry* last = nullptr;
  for (size_t at = 0; at < payload.size();) {
    const auto type = static_cast<uint8_t>(payload[at]);
    const uint32_t uid = get_u32(payload, at + 1);
    if (type == kRecordForget) {
      drop(uid);
      last = nullptr;
      at += kForgetRecordSize;
      continue;
    }
    if (last == nullptr || uid != last_uid) {
      last = &entries_[uid];
      last_uid = uid;
    }
    const size_t base = static_cast<unsigned char>(payload[at + 5]);
    const size_t key = static_cast<unsigned char>(payload[at + 6]);
    const size_t value = get_u32(payload, at + 7);
    const size_t data = at + kValueRecordFixed;
    set(*last, payload.substr(data, base), payload.substr(data + base, key),
        payload.substr(data + base + key, value));
    at = data + base + key + value;
  }
  return true;
}

void MessageIndex::put(uint32_t uid, std::string_view base, std::string_view key,
                       std::string_view value) {
  if (uid == 0 || base.empty() || base.size() > kMaxIndexBase || key.empty() ||
      key.size() > kMaxIndexKey || value.size() > kMaxIndexValue) {
    return;
  }
  if (auto old = get(uid, base, key); old && *old == value) return;
  if (live_bytes_ + record_size(base, key, value) > options_.max_file_bytes / 2) return;
  std::string record;
  record.reserve(record_size(base, key, value));
  value_record(record, uid, base, key, value);
  pending_ += record;
  const std::string_view kept = stash(record);
  const size_t data = kValueRecordFixed;
  set(entries_[uid], kept.substr(data, base.size()), kept.substr(data + base.size(), key.size()),
      kept.substr(data + base.size() + key.size()));
  bound_pending();
}

void MessageIndex::bound_pending() {
  if (pending_.size() < options_.flush_at) return;
  Status s = flush();
  if (s || pending_.size() < options_.max_pending) return;
  log::warning("the index of {} cannot be written, {} bytes of it are dropped: {}", shown_,
               pending_.size(), s.error().describe());
  pending_.clear();
}

std::optional<FileFacts> MessageIndex::file_facts(uint32_t uid, std::string_view base) const {
  auto text = get(uid, base, kFactsKey);
  if (!text) return std::nullopt;
  FileFacts facts;
  const char* end = text->data() + text->size();
  auto r = std::from_chars(text->data(), end, facts.wire_size);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != ' ') return std::nullopt;
  r = std::from_chars(r.ptr + 1, end, facts.internal_date);
  if (r.ec != std::errc() || r.ptr != end) return std::nullopt;
  return facts;
}

void MessageIndex::put_file_facts(uint32_t uid, std::string_view base, FileFacts facts) {
  put(uid, base, kFactsKey, fmt::format("{} {}", facts.wire_size, facts.internal_date));
}

void MessageIndex::forget(const std::vector<uint32_t>& uids) {
  for (uint32_t uid : uids) {
    if (uid == 0) continue;
    drop(uid);
    // Written even for UIDs unknown here: another process may have put
    // values for them that this one has not read.
    pending_.push_back(static_cast<char>(kRecordForget));
    put_u32(pending_, uid);
  }
  bound_pending();
}

void MessageIndex::keep_only(const std::vector<uint32_t>& live) {
  std::vector<uint32_t> gone;
  for (const auto& [uid, entry] : entries_) {
    if (!std::binary_search(live.begin(), live.end(), uid)) gone.push_back(uid);
  }
  std::sort(gone.begin(), gone.end());
  forget(gone);
}

Status MessageIndex::load(bool from_start) {
  auto fd = fs::open_regular(dir_fd_, kIndexName, shown_ + "/" + kIndexName, O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd && ::fstat(fd->get(), &st) != 0) {
    return fail(sys_error(errno, "inspect", shown_ + "/" + kIndexName));
  }
  if (!from_start) {
    // Replaced by a compaction, or cut short (by a writer that found a torn
    // tail): read it again from its start.
    const bool same = fd && !file_missing_ && static_cast<uint64_t>(st.st_ino) == file_ino_ &&
                      static_cast<uint64_t>(st.st_dev) == file_dev_ &&
                      static_cast<uint64_t>(st.st_size) >= file_good_end_;
    if (!same && (fd || !file_missing_)) from_start = true;
  }
  if (from_start) {
    entries_.clear();
    buffers_.clear();
    live_bytes_ = 0;
    file_ino_ = file_dev_ = file_good_end_ = file_size_ = 0;
    file_bad_ = false;
    file_missing_ = true;
    // This process's changes not yet written stay on top of the file's.
    if (!pending_.empty()) (void)apply_records(stash(pending_));
  }
  if (!fd) {
    if (fd.error().kind() == ErrorKind::kNotFound) return ok();
    file_bad_ = true;  // a link or something else in its place: replaced at the next flush
    return fail(fd.error());
  }
  file_missing_ = false;
  file_ino_ = st.st_ino;
  file_dev_ = st.st_dev;
  file_size_ = st.st_size;
  if (file_size_ > options_.max_file_bytes) {
    // Not ours to read whole (something else, or grown past the bound).
    file_bad_ = true;
    return ok();
  }
  if (file_size_ <= file_good_end_) {
    file_bad_ = file_size_ == 0;  // nothing after the good blocks; or not even a header
    return ok();
  }

  // One read of everything new.
  std::string data(file_size_ - file_good_end_, '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::pread(fd->get(), data.data() + got, data.size() - got,
                        static_cast<off_t>(file_good_end_ + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(sys_error(errno, "read", shown_ + "/" + kIndexName));
    if (n == 0) break;  // cut short meanwhile: what was read is checked as it is
    got += static_cast<size_t>(n);
  }
  data.resize(got);

  std::string_view rest(data);
  uint64_t good = file_good_end_;
  file_bad_ = false;
  if (good == 0) {
    if (rest.size() < kHeaderSize || rest.substr(0, kMagic.size()) != kMagic ||
        get_u32(rest, 8) != kVersion ||
        get_u32(rest, 20) != crc32c(rest.substr(0, kHeaderSize - 4))) {
      file_bad_ = true;
      return ok();
    }
    if (get_u32(rest, 12) != uid_validity_) {
      file_bad_ = true;  // of another UIDVALIDITY: nothing in it is about these UIDs
      return ok();
    }
    rest.remove_prefix(kHeaderSize);
    good = kHeaderSize;
  }
  // Views into `data` are kept: it joins the buffers.
  buffers_.push_back(std::move(data));
  rest = std::string_view(buffers_.back()).substr(good - file_good_end_);
  while (!rest.empty()) {
    if (rest.size() < kBlockHeaderSize || get_u32(rest, 0) != kBlockMagic) break;
    const uint32_t length = get_u32(rest, 4);
    if (length > kMaxBlockPayload || rest.size() - kBlockHeaderSize < length) break;
    const std::string_view payload = rest.substr(kBlockHeaderSize, length);
    if (crc32c(payload, crc32c(rest.substr(4, 4))) != get_u32(rest, 8)) break;
    if (!apply_records(payload)) break;
    rest.remove_prefix(kBlockHeaderSize + length);
    good += kBlockHeaderSize + length;
  }
  // A block being written by another process looks the same as a torn
  // one: a writer tells them apart under the lock.
  file_bad_ = !rest.empty();
  file_good_end_ = good;
  return ok();
}

Status MessageIndex::refresh() { return load(false); }

Status MessageIndex::flush() {
  if (pending_.empty()) return ok();
  if (!lock_file_.valid()) {
    // Created once and left: removing it while another process waits on it
    // would let two hold "the" lock.
    int fd = fs::file_system().open(dir_fd_, kIndexLockName,
                                    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail(sys_error(errno, "open the index lock of", shown_));
    lock_file_.reset(fd);
  }
  auto locked =
      FileLock::take(lock_file_.get(), options_.lock_timeout, shown_ + "/" + kIndexLockName);
  if (!locked) return fail(locked.error());

  // Under the lock nobody appends: what others added is whole now, and a
  // bad tail is a crash's, not a write in progress.
  if (Status s = load(false); !s) {
    log::warning("rewriting the index of {}: {}", shown_, s.error().describe());
    file_bad_ = true;
  }
  const uint64_t after = file_good_end_ + pending_.size() + kBlockHeaderSize;
  if (file_bad_ || file_missing_ || after > 2 * live_bytes_ + options_.compact_slack) {
    return rewrite();
  }
  return append_pending();
}

Status MessageIndex::append_pending() {
  const std::string shown = shown_ + "/" + kIndexName;
  auto fd = fs::open_regular(dir_fd_, kIndexName, shown, O_WRONLY | O_CLOEXEC);
  if (!fd) return fail(fd.error());
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return fail(sys_error(errno, "inspect", shown));
  if (static_cast<uint64_t>(st.st_ino) != file_ino_ ||
      static_cast<uint64_t>(st.st_dev) != file_dev_) {
    return fail(ErrorKind::kTemporary, fmt::format("{} was replaced while locked", shown));
  }
  std::string blocks;
  append_blocks(blocks, pending_);
  if (::lseek(fd->get(), static_cast<off_t>(file_good_end_), SEEK_SET) < 0) {
    return fail(sys_error(errno, "seek in", shown));
  }
  if (Status s = fs::write_all(fd->get(), blocks, shown); !s) {
    // No half block left for readers to stumble on (they would stop there
    // anyway; this keeps the next append reachable).
    (void)::ftruncate(fd->get(), static_cast<off_t>(file_good_end_));
    return s;
  }
  file_good_end_ += blocks.size();
  file_size_ = file_good_end_;
  pending_.clear();
  return ok();
}

Status MessageIndex::rewrite() {
  // Every live record, in UID order, behind a new header.
  std::vector<uint32_t> uids;
  uids.reserve(entries_.size());
  for (const auto& [uid, entry] : entries_) uids.push_back(uid);
  std::sort(uids.begin(), uids.end());
  std::string records;
  records.reserve(live_bytes_);
  for (uint32_t uid : uids) {
    const Entry& e = entries_.at(uid);
    for (const Value& v : e.values) value_record(records, uid, e.base, v.key, v.value);
  }
  std::string content = header(uid_validity_);
  content.reserve(kHeaderSize + records.size() + records.size() / kMaxBlockPayload * 16 + 16);
  append_blocks(content, records);
  records = std::string();

  // A new file under a temporary name (one writer at a time: the lock),
  // renamed over the old: readers see one or the other. Not fsynced: after
  // a crash the file may be anything, which the checksums catch.
  const std::string tmp_shown = shown_ + "/" + kIndexTmpName;
  if (fs::file_system().unlink(dir_fd_, kIndexTmpName) != 0 && errno != ENOENT) {
    return fail(sys_error(errno, "remove", tmp_shown));
  }
  int raw = fs::file_system().open(dir_fd_, kIndexTmpName,
                                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (raw < 0) return fail(sys_error(errno, "create", tmp_shown));
  UniqueFd tmp(raw);
  Status written = fs::write_all(tmp.get(), content, tmp_shown);
  if (written && tmp.close() != 0) written = fail(sys_error(errno, "write", tmp_shown));
  if (written && fs::file_system().rename(dir_fd_, kIndexTmpName, dir_fd_, kIndexName, 0) != 0) {
    written = fail(sys_error(errno, "rename", tmp_shown));
  }
  if (!written) {
    (void)fs::file_system().unlink(dir_fd_, kIndexTmpName);
    return written;
  }
  pending_.clear();

  // The state is now the file's: rebuilt over the new content, so that the
  // memory of replaced values goes too.
  struct stat st {};
  const bool known = ::fstatat(dir_fd_, kIndexName, &st, AT_SYMLINK_NOFOLLOW) == 0;
  entries_.clear();
  buffers_.clear();
  live_bytes_ = 0;
  buffers_.push_back(std::move(content));
  std::string_view rest = std::string_view(buffers_.back()).substr(kHeaderSize);
  while (!rest.empty()) {
    const uint32_t length = get_u32(rest, 4);
    (void)apply_records(rest.substr(kBlockHeaderSize, length));
    rest.remove_prefix(kBlockHeaderSize + length);
  }
  file_missing_ = !known;
  file_bad_ = false;
  file_ino_ = known ? st.st_ino : 0;
  file_dev_ = known ? st.st_dev : 0;
  file_good_end_ = file_size_ = buffers_.back().size();
  return ok();
}

}  // namespace hm::store::maildir
