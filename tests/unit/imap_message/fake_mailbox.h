#pragma once
// A store::Mailbox in memory, just enough for FETCH and SEARCH: messages
// with meta and text, the keyword table, the cache, and counters of what
// was read, so tests can check that a warm FETCH reads nothing.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/mailbox.h"

namespace hm::imap::testing {

class FakeMailbox : public store::Mailbox {
 public:
  // Adds a message with the next UID (uids 1, 2, ... unless `uid` given);
  // `text` as stored (LF line ends). RFC822.SIZE is counted as the store
  // does: every bare LF is two octets.
  store::MessageMeta& add(std::string text, uint8_t flags = 0, int64_t internal_date = 0,
                          uint32_t uid = 0) {
    store::MessageMeta m;
    m.uid = uid != 0 ? uid : (meta_.empty() ? 1 : meta_.back().uid + 1);
    m.modseq = m.uid;
    m.flags = flags;
    m.internal_date = internal_date;
    m.size = text.size();
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) ++m.size;
    }
    meta_.push_back(m);
    texts_[m.uid] = std::move(text);
    return meta_.back();
  }
  // The message stays in the view but its file is gone (another session
  // expunged it): read() gives kNotFound.
  void remove_file(uint32_t uid) { texts_.erase(uid); }
  void set_keywords(std::vector<std::string> k) { keywords_ = std::move(k); }
  std::vector<store::MessageMeta>& meta() { return meta_; }
  std::map<std::pair<uint32_t, std::string>, std::string>& cache_map() { return cache_; }

  int reads = 0;
  int header_reads = 0;
  int cache_offers = 0;

  bool read_only() const override { return false; }
  store::MailboxStatus status() const override { return {}; }
  const std::vector<store::MessageMeta>& messages() const override { return meta_; }
  std::optional<size_t> find(uint32_t uid) const override {
    for (size_t i = 0; i < meta_.size(); ++i) {
      if (meta_[i].uid == uid) return i;
    }
    return std::nullopt;
  }
  const std::vector<std::string>& keywords() const override { return keywords_; }
  Result<store::MailboxChanges> sync() override { return store::MailboxChanges{}; }
  Result<std::string> read(uint32_t uid) override {
    ++reads;
    auto it = texts_.find(uid);
    if (it == texts_.end()) return fail(ErrorKind::kNotFound, "expunged");
    return it->second;
  }
  // As a backend that reads only the header: up to the first empty line
  // (a read too, counted in both).
  Result<std::string> read_header(uint32_t uid) override {
    ++reads;
    ++header_reads;
    auto it = texts_.find(uid);
    if (it == texts_.end()) return fail(ErrorKind::kNotFound, "expunged");
    const size_t blank = it->second.find("\n\n");
    return blank == std::string::npos ? it->second : it->second.substr(0, blank + 2);
  }
  std::optional<std::string> cached(uint32_t uid, store::CacheKey key) override {
    auto it = cache_.find({uid, std::string(key)});
    if (it == cache_.end()) return std::nullopt;
    return it->second;
  }
  void cache(uint32_t uid, store::CacheKey key, std::string value) override {
    ++cache_offers;
    cache_[{uid, std::string(key)}] = std::move(value);
  }
  Result<store::FlagResult> set_flags(const std::vector<uint32_t>&,
                                      const store::FlagChange&) override {
    return fail(ErrorKind::kInvalid, "not in the fake");
  }
  Result<std::vector<uint32_t>> expunge(const std::vector<uint32_t>*) override {
    return fail(ErrorKind::kInvalid, "not in the fake");
  }
  Result<std::vector<uint32_t>> expunged_since(uint64_t) override {
    return std::vector<uint32_t>{};
  }

 private:
  std::vector<store::MessageMeta> meta_;
  std::map<uint32_t, std::string> texts_;
  std::vector<std::string> keywords_;
  std::map<std::pair<uint32_t, std::string>, std::string> cache_;
};

}  // namespace hm::imap::testing
