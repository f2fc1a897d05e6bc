#include "pop3/maildrop.h"

#include <cstdio>

namespace hm::pop3 {

std::string uidl_of(uint32_t uid, uint32_t uid_validity) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08X%08X", uid, uid_validity);
  return buf;
}

std::string multiline_message(std::string_view stored, const uint32_t* body_lines) {
  std::string out;
  out.reserve(stored.size() + stored.size() / 32 + 8);
  bool in_body = false;
  uint32_t body_sent = 0;
  size_t i = 0;
  while (i < stored.size()) {
    if (in_body && body_lines && body_sent >= *body_lines) break;
    size_t end = stored.find('\n', i);
    const size_t next = end == std::string_view::npos ? stored.size() : end + 1;
    if (end == std::string_view::npos) end = stored.size();
    std::string_view line = stored.substr(i, end - i);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.front() == '.') out += '.';
    out += line;
    out += "\r\n";
    if (in_body) {
      ++body_sent;
    } else if (line.empty()) {
      in_body = true;  // the blank line ends the header
    }
    i = next;
  }
  out += ".\r\n";
  return out;
}

Maildrop::Maildrop(std::unique_ptr<store::Mailbox> inbox)
    : inbox_(std::move(inbox)),
      messages_(inbox_->messages()),
      deleted_(messages_.size(), false),
      uid_validity_(inbox_->status().uid_validity) {}

bool Maildrop::exists(uint32_t n) const { return n >= 1 && n <= count() && !deleted_[n - 1]; }

uint32_t Maildrop::live_count() const {
  uint32_t c = 0;
  for (bool d : deleted_) c += d ? 0 : 1;
  return c;
}

uint64_t Maildrop::live_size() const {
  uint64_t s = 0;
  for (size_t i = 0; i < messages_.size(); ++i) {
    if (!deleted_[i]) s += messages_[i].size;
  }
  return s;
}

uint32_t Maildrop::marked() const { return count() - live_count(); }

Result<std::string> Maildrop::retrieve(uint32_t n) {
  const uint32_t uid = messages_[n - 1].uid;
  auto text = inbox_->read(uid);
  if (!text) return fail(std::move(text).error());
  if (!(messages_[n - 1].flags & store::kFlagSeen)) {
    store::FlagChange seen;
    seen.mode = store::FlagChange::Mode::kAdd;
    seen.flags = store::kFlagSeen;
    auto set = inbox_->set_flags({uid}, seen);
    if (!set) return fail(std::move(set).error());
    messages_[n - 1].flags |= store::kFlagSeen;
  }
  return multiline_message(*text);
}

Result<std::string> Maildrop::top(uint32_t n, uint32_t lines) {
  auto text = inbox_->read(messages_[n - 1].uid);
  if (!text) return fail(std::move(text).error());
  return multiline_message(*text, &lines);
}

void Maildrop::reset() { deleted_.assign(messages_.size(), false); }

Result<size_t> Maildrop::commit() {
  std::vector<uint32_t> uids;
  for (size_t i = 0; i < messages_.size(); ++i) {
    if (deleted_[i]) uids.push_back(messages_[i].uid);
  }
  if (uids.empty()) return size_t{0};
  // \Deleted goes on at QUIT, not at DELE: until then the store holds no
  // trace of the marks, so a session that never reaches QUIT changes
  // nothing. expunge(&uids) then removes these messages only, never one
  // the user flagged \Deleted over IMAP. (Messages already gone are
  // skipped by both calls.)
  store::FlagChange del;
  del.mode = store::FlagChange::Mode::kAdd;
  del.flags = store::kFlagDeleted;
  auto set = inbox_->set_flags(uids, del);
  if (!set) return fail(std::move(set).error());
  auto gone = inbox_->expunge(&uids);
  if (!gone) return fail(std::move(gone).error());
  return gone->size();
}

}  // namespace hm::pop3
