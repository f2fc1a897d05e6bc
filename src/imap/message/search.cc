#include "imap/message/search.h"

#include <algorithm>
#include <optional>

#include "base/strings.h"
#include "imap/message/search_text.h"
#include "imap/message/sent_date.h"
#include "imap/message/text_match.h"
#include "imap/proto/lexer.h"

namespace hm::imap {
namespace {

using Type = proto::SearchKey::Type;

// What deciding a key costs: the view only, header fields (usually
// cached), or the message's text.
enum Cost { kMeta = 0, kHeader = 1, kText = 2 };

// A key prepared once for the whole view: its needle folded, its field
// name upper-cased, its keyword looked up.
struct Node {
  const proto::SearchKey* key = nullptr;
  FoldedNeedle needle{""};
  std::string field;
  bool valid_field = true;
  std::optional<size_t> keyword;  // bit in the mailbox's keyword masks
  Cost cost = kMeta;
  std::vector<Node> children;
};

std::string_view field_of(Type t) {
  switch (t) {
    case Type::kFrom: return "FROM";
    case Type::kTo: return "TO";
    case Type::kCc: return "CC";
    case Type::kBcc: return "BCC";
    case Type::kSubject: return "SUBJECT";
    default: return {};
  }
}

// RFC 5322 ftext: printable ASCII but ':'.
bool valid_field_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return c > 32 && c < 127 && c != ':'; });
}

Node prepare(const proto::SearchKey& key, const std::vector<std::string>& keywords) {
  Node n;
  n.key = &key;
  switch (key.type) {
    case Type::kFrom:
    case Type::kTo:
    case Type::kCc:
    case Type::kBcc:
    case Type::kSubject:
      n.field = std::string(field_of(key.type));
      n.needle = FoldedNeedle(key.text);
      n.cost = kHeader;
      break;
    case Type::kHeader:
      n.field = proto::upper(key.field);
      n.valid_field = valid_field_name(key.field);
      n.needle = FoldedNeedle(key.text);
      n.cost = kHeader;
      break;
    case Type::kSentBefore:
    case Type::kSentOn:
    case Type::kSentSince:
      n.field = "DATE";
      n.cost = kHeader;
      break;
    case Type::kBody:
    case Type::kText:
      n.needle = FoldedNeedle(key.text);
      n.cost = kText;
      break;
    case Type::kKeyword:
    case Type::kUnkeyword:
      // Keywords are matched without regard to ASCII case, as flags are.
      for (size_t i = 0; i < keywords.size() && i < 32; ++i) {
        if (iequals(keywords[i], key.text)) {
          n.keyword = i;
          break;
        }
      }
      break;
    case Type::kNot:
    case Type::kOr:
    case Type::kAnd:
      for (const auto& child : key.children) {
        n.children.push_back(prepare(child, keywords));
        n.cost = std::max(n.cost, n.children.back().cost);
      }
      // Cheapest first: a message is read only when the cheap keys have
      // not decided it already.
      std::stable_sort(n.children.begin(), n.children.end(),
                       [](const Node& a, const Node& b) { return a.cost < b.cost; });
      break;
    default: break;
  }
  return n;
}

int64_t day_of(int64_t unix_seconds) {
  // Floor division: days before 1970 are negative.
  return unix_seconds >= 0 ? unix_seconds / 86400 : -((-unix_seconds + 86399) / 86400);
}

bool compare_day(Type t, int64_t day, int32_t date) {
  switch (t) {
    case Type::kBefore:
    case Type::kSentBefore: return day < date;
    case Type::kOn:
    case Type::kSentOn: return day == date;
    default: return day >= date;  // SINCE, SENTSINCE: on or after
  }
}

class Evaluator {
 public:
  Evaluator(uint32_t max_seq, uint32_t max_uid) : max_seq_(max_seq), max_uid_(max_uid) {}

  // Whether the message matches; a store error ends the search (error()).
  bool matches(const Node& n, uint32_t seq, const store::MessageMeta& m, SearchText& text) {
    using store::kFlagAnswered, store::kFlagDeleted, store::kFlagDraft, store::kFlagFlagged,
        store::kFlagSeen;
    const proto::SearchKey& k = *n.key;
    switch (k.type) {
      case Type::kAll: return true;
      case Type::kAnswered: return m.flags & kFlagAnswered;
      case Type::kDeleted: return m.flags & kFlagDeleted;
      case Type::kDraft: return m.flags & kFlagDraft;
      case Type::kFlagged: return m.flags & kFlagFlagged;
      case Type::kSeen: return m.flags & kFlagSeen;
      case Type::kUnanswered: return !(m.flags & kFlagAnswered);
      case Type::kUndeleted: return !(m.flags & kFlagDeleted);
      case Type::kUndraft: return !(m.flags & kFlagDraft);
      case Type::kUnflagged: return !(m.flags & kFlagFlagged);
      case Type::kUnseen: return !(m.flags & kFlagSeen);
      case Type::kRecent: return m.recent;
      case Type::kNew: return m.recent && !(m.flags & kFlagSeen);
      case Type::kOld: return !m.recent;
      case Type::kKeyword: return n.keyword && (m.keywords >> *n.keyword) & 1;
      case Type::kUnkeyword: return !n.keyword || !((m.keywords >> *n.keyword) & 1);
      case Type::kLarger: return m.size > k.number;
      case Type::kSmaller: return m.size < k.number;
      case Type::kModseq: return m.modseq >= k.number;
      case Type::kSequenceSet: return k.set.contains(seq, max_seq_);
      case Type::kUid: return k.set.contains(m.uid, max_uid_);
      case Type::kBefore:
      case Type::kOn:
      case Type::kSince: return compare_day(k.type, day_of(m.internal_date), k.date);
      case Type::kSentBefore:
      case Type::kSentOn:
      case Type::kSentSince: {
        auto values = text.values(n.field);
        if (!check(values) || (*values)->empty()) return false;
        const std::optional<int32_t> day = sent_day((*values)->front());
        return day && compare_day(k.type, *day, k.date);
      }
      case Type::kFrom:
      case Type::kTo:
      case Type::kCc:
      case Type::kBcc:
      case Type::kSubject:
      case Type::kHeader: {
        if (!n.valid_field) return false;
        auto values = text.values(n.field);
        if (!check(values)) return false;
        return std::any_of((*values)->begin(), (*values)->end(),
                           [&n](const std::string& v) { return value_contains(v, n.needle); });
      }
      case Type::kBody: {
        auto body = text.body();
        return check(body) && body->find(n.needle.folded()) != std::string_view::npos;
      }
      case Type::kText: {
        auto header = text.header();
        if (!check(header)) return false;
        if (header->find(n.needle.folded()) != std::string_view::npos) return true;
        auto body = text.body();
        return check(body) && body->find(n.needle.folded()) != std::string_view::npos;
      }
      case Type::kNot: return !matches(n.children[0], seq, m, text) && !failed_;
      case Type::kOr:
        for (const auto& c : n.children) {
          if (matches(c, seq, m, text)) return true;
        }
        return false;
      case Type::kAnd:
        for (const auto& c : n.children) {
          if (!matches(c, seq, m, text)) return false;
        }
        return true;
    }
    return false;
  }

  // After a message: false when the search must stop with error().
  bool ok() const { return !error_; }
  // A message that vanished from the store meanwhile: not a match.
  bool message_gone() const { return failed_ && !error_; }
  void next_message() { failed_ = false; }
  Error take_error() { return std::move(*error_); }

 private:
  template <typename R>
  bool check(const R& result) {
    if (result) return true;
    failed_ = true;
    if (result.error().kind() != ErrorKind::kNotFound && !error_) error_ = result.error();
    return false;
  }

  uint32_t max_seq_;
  uint32_t max_uid_;
  bool failed_ = false;
  std::optional<Error> error_;
};

}  // namespace

Result<std::vector<uint32_t>> search(store::Mailbox& box, const proto::SearchKey& key,
                                     const SearchContext& ctx) {
  if (!ctx.charset.empty() && ctx.charset != "UTF-8" && ctx.charset != "US-ASCII") {
    return fail(ErrorKind::kInvalid, std::string(kBadCharset) + " Charset " +
                                         ctx.charset.substr(0, 40) +
                                         " is not supported; use UTF-8");
  }
  const auto& messages = box.messages();
  const Node root = prepare(key, box.keywords());
  Evaluator eval(static_cast<uint32_t>(messages.size()),
                 messages.empty() ? 0 : messages.back().uid);
  std::vector<uint32_t> found;
  for (size_t i = 0; i < messages.size(); ++i) {
    const store::MessageMeta& m = messages[i];
    const auto seq = static_cast<uint32_t>(i + 1);
    SearchText text(box, m.uid);
    eval.next_message();
    const bool match = eval.matches(root, seq, m, text);
    if (!eval.ok()) return fail(eval.take_error());
    if (match && !eval.message_gone()) found.push_back(seq);
  }
  return found;
}

bool search_uses_modseq(const proto::SearchKey& key) {
  if (key.type == Type::kModseq) return true;
  return std::any_of(key.children.begin(), key.children.end(), search_uses_modseq);
}

}  // namespace hm::imap
