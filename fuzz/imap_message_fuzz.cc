// libFuzzer target for FETCH and SEARCH (src/imap/message) over one message
// as anyone who can send mail may write it, stored as it came (LF, CRLF,
// bare CR, any mixture).
//
// Properties: no item crashes; every literal is as long as it says and the
// response is well formed; a BINARY error is only [UNKNOWN-CTE]; a warm
// FETCH (from what the first offered to the cache) gives the same bytes
// and reads nothing; BODY[part] of every part of the tree is answered;
// SEARCH of any key gives no error and at most the one message.
// The normal build replays fuzz/corpus/imap_message (replay_main.cc).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imap/message/fetch_response.h"
#include "imap/message/search.h"
#include "imap/proto/command_parser.h"
#include "mime/message.h"
#include "store/mailbox.h"

namespace {

[[noreturn]] void die(const char* what, const std::string& context = {}) {
  std::fprintf(stderr, "imap_message_fuzz: %s\n%s\n", what, context.c_str());
  std::abort();
}

// One message, a cache, a count of reads.
class OneMessage : public hm::store::Mailbox {
 public:
  explicit OneMessage(std::string text) : text_(std::move(text)) {
    hm::store::MessageMeta m;
    m.uid = 7;
    m.modseq = 3;
    m.flags = hm::store::kFlagSeen;
    m.keywords = 1;
    m.size = text_.size();
    for (size_t i = 0; i < text_.size(); ++i) {
      if (text_[i] == '\n' && (i == 0 || text_[i - 1] != '\r')) ++m.size;
    }
    meta_.push_back(m);
  }
  int reads = 0;

  bool read_only() const override { return false; }
  hm::store::MailboxStatus status() const override { return {}; }
  const std::vector<hm::store::MessageMeta>& messages() const override { return meta_; }
  std::optional<size_t> find(uint32_t uid) const override {
    return uid == 7 ? std::optional<size_t>(0) : std::nullopt;
  }
  const std::vector<std::string>& keywords() const override { return keywords_; }
  hm::Result<hm::store::MailboxChanges> sync() override { return hm::store::MailboxChanges{}; }
  hm::Result<std::string> read(uint32_t) override {
    ++reads;
    return text_;
  }
  std::optional<std::string> cached(uint32_t, hm::store::CacheKey key) override {
    auto it = cache_.find(std::string(key));
    if (it == cache_.end()) return std::nullopt;
    return it->second;
  }
  void cache(uint32_t, hm::store::CacheKey key, std::string value) override {
    cache_[std::string(key)] = std::move(value);
  }
  hm::Result<hm::store::FlagResult> set_flags(const std::vector<uint32_t>&,
                                              const hm::store::FlagChange&) override {
    return hm::fail(hm::ErrorKind::kInvalid, "read-only here");
  }
  hm::Result<std::vector<uint32_t>> expunge(const std::vector<uint32_t>*) override {
    return hm::fail(hm::ErrorKind::kInvalid, "read-only here");
  }
  hm::Result<std::vector<uint32_t>> expunged_since(uint64_t) override {
    return std::vector<uint32_t>{};
  }

 private:
  std::string text_;
  std::vector<hm::store::MessageMeta> meta_;
  std::vector<std::string> keywords_{"$Label"};
  std::map<std::string, std::string> cache_;
};

template <typename Args>
Args parse(const std::string& command) {
  auto r = hm::imap::proto::parse_command(command);
  auto* c = std::get_if<hm::imap::proto::Command>(&r);
  if (c == nullptr) die("a command of the target did not parse", command);
  return std::get<Args>(c->args);
}

// After "{n}\r\n" come n octets and then " " or ")"; the response ends
// with ")\r\n".
void check_well_formed(const std::string& r) {
  if (r.size() < 12 || r.compare(0, 10, "* 1 FETCH ") != 0 || r.compare(r.size() - 3, 3, ")\r\n"))
    die("response not framed", r);
  size_t pos = 10;
  while ((pos = r.find("}\r\n", pos)) != std::string::npos) {
    const size_t open = r.rfind('{', pos);
    if (open == std::string::npos) die("literal without '{'", r);
    const size_t n = std::strtoul(r.c_str() + open + 1, nullptr, 10);
    const size_t after = pos + 3 + n;
    if (after >= r.size() || (r[after] != ' ' && r[after] != ')')) die("literal size wrong", r);
    pos = after;
  }
}

std::string join(const std::string& prefix, size_t n) {
  return (prefix.empty() ? "" : prefix + ".") + std::to_string(n);
}

// The numbers of the parts inside p, whose own number is `number` ("" for
// a multipart root): a multipart's parts, or the message a message/rfc822
// part holds (its parts, or itself as part 1 when it is no multipart).
void part_paths(const hm::mime::Part& p, const std::string& number, std::vector<std::string>& out) {
  const hm::mime::Part* c = &p;
  if (p.is_message_rfc822() && !p.children.empty()) {
    c = &p.children[0];
  } else if (!p.is_multipart()) {
    return;
  }
  if (!c->is_multipart()) {
    const std::string path = join(number, 1);  // out.back() moves as out grows
    out.push_back(path);
    part_paths(*c, path, out);
    return;
  }
  for (size_t i = 0; i < c->children.size() && out.size() < 64; ++i) {
    const std::string path = join(number, i + 1);
    out.push_back(path);
    part_paths(c->children[i], path, out);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using hm::imap::FetchContext;
  const std::string text(reinterpret_cast<const char*>(data), size);
  OneMessage box(text);

  std::vector<std::string> specs = {"ALL",
                                    "FULL",
                                    "BODYSTRUCTURE",
                                    "RFC822",
                                    "RFC822.HEADER",
                                    "RFC822.TEXT",
                                    "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)]",
                                    "BODY.PEEK[HEADER.FIELDS.NOT (TO)]<2.30>",
                                    "BODY.PEEK[TEXT]<1.7>",
                                    "BINARY.PEEK[]",
                                    "BODY[]<0.1>"};
  const auto m = hm::mime::Message::parse(text);
  std::vector<std::string> paths;
  if (!m.root().is_multipart()) paths.push_back("1");  // a single part is its own part 1
  part_paths(m.root(), paths.empty() ? "" : "1", paths);
  for (const auto& p : paths) {
    for (const char* suffix : {"", ".MIME", ".HEADER", ".TEXT", ".HEADER.FIELDS (SUBJECT)"}) {
      specs.push_back("BODY.PEEK[" + p + suffix + "]");
      specs.push_back("BODY.PEEK[" + p + suffix + "]<1.9>");
    }
    specs.push_back("BINARY.PEEK[" + p + "]<2.11>");
    specs.push_back("BINARY.SIZE[" + p + "]");
  }
  for (const auto& spec : specs) {
    const auto args = parse<hm::imap::proto::FetchArgs>("a FETCH 1 " + spec);
    std::string cold;
    const hm::Status s = hm::imap::write_fetch(box, 1, args.atts, FetchContext{true, true}, cold);
    if (!s) {
      if (s.error().message().rfind(hm::imap::kUnknownCte, 0) != 0) die("unexpected error", spec);
      if (!cold.empty()) die("a failed FETCH wrote something", spec);
      continue;
    }
    check_well_formed(cold);
  }
  for (const auto& p : paths) {
    const auto args = parse<hm::imap::proto::FetchArgs>("a FETCH 1 BODY.PEEK[" + p + "]");
    std::string out;
    if (!hm::imap::write_fetch(box, 1, args.atts, {}, out) ||
        out.find("] NIL)") != std::string::npos)
      die("a part of the tree not answered", p);
  }
  // Warm: the structures come from the cache, byte for byte.
  const auto warm_atts = parse<hm::imap::proto::FetchArgs>(
      "a FETCH 1 (ENVELOPE BODY BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE)])");
  std::string first, second;
  if (!hm::imap::write_fetch(box, 1, warm_atts.atts, {}, first)) die("structures failed");
  const int reads = box.reads;
  if (!hm::imap::write_fetch(box, 1, warm_atts.atts, {}, second)) die("warm structures failed");
  if (first != second) die("warm FETCH differs", first + second);
  if (box.reads != reads) die("warm FETCH read the message");

  for (const char* keys :
       {"TEXT a", "BODY \"x y\"", "SUBJECT \"\"", "OR FROM @ NOT TO b", "HEADER X-Y z",
        "SENTSINCE 1-Jan-1990", "CHARSET UTF-8 BODY {2}\r\n\xC3\x9F",
        "NOT (SEEN KEYWORD $label UNKEYWORD x 1:* UID 7)"}) {
    const auto args = parse<hm::imap::proto::SearchArgs>(std::string("a SEARCH ") + keys);
    auto found = hm::imap::search(box, args.key, {args.charset});
    if (!found) die("SEARCH failed", keys);
    if (found->size() > 1 || (found->size() == 1 && (*found)[0] != 1)) die("SEARCH found too much");
  }
  return 0;
}
