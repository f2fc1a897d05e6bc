#include "dkim/signer.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "base/base64.h"
#include "base/strings.h"
#include "dkim/canonical.h"
#include "dkim/header_reader.h"
#include "dkim/openssl_util.h"

namespace hm::dkim {
namespace {

// RFC 5322 2.1.1: lines SHOULD be at most 78 characters without the CRLF.
constexpr size_t kWidth = 78;

using ossl::Sha256;

// Writes a header field, folding before a word that would pass kWidth. The
// fold (CRLF SP) stands where the syntax allows folding white space; the
// relaxed canonicalization makes it one SP again, in our hash and in the
// verifier's alike.
class Folder {
 public:
  explicit Folder(std::string_view start) : out_(start), column_(start.size()) {}

  // A word that must stay whole, after a SP when `space` (or a fold).
  void word(std::string_view w, bool space) {
    if (column_ > 1 && column_ + (space ? 1 : 0) + w.size() > kWidth) {
      fold();
    } else if (space) {
      out_ += ' ';
      ++column_;
    }
    out_ += w;
    column_ += w.size();
  }

  // Base64 (bh=, b=), which may be folded anywhere.
  void cut(std::string_view s) {
    while (!s.empty()) {
      if (column_ >= kWidth) fold();
      size_t n = std::min(s.size(), kWidth - column_);
      out_ += s.substr(0, n);
      column_ += n;
      s.remove_prefix(n);
    }
  }

  void fold() {
    out_ += "\r\n ";
    column_ = 1;
  }

  const std::string& text() const { return out_; }

 private:
  std::string out_;
  size_t column_;
};

}  // namespace

Signer::Signer(SignerOptions options) : options_(std::move(options)) {}

Result<std::string> Signer::sign(std::string_view message, const SigningKey& key) const {
  const std::vector<std::string>& names = options_.headers;

  // 1. The fields to sign, in message order, each with the index of its name.
  struct Found {
    size_t name;
    std::string_view text;
  };
  std::vector<Found> found;
  std::vector<size_t> count(names.size(), 0);
  HeaderReader reader(message);
  HeaderField field;
  while (reader.next(field)) {
    if (field.name.empty()) continue;
    for (size_t i = 0; i < names.size(); ++i) {
      if (!iequals(field.name, names[i])) continue;
      if (found.size() == kMaxSignedFields) {
        return fail(ErrorKind::kLimit,
                    fmt::format("the message has more than {} header fields to sign; "
                                "it is not signed",
                                kMaxSignedFields));
      }
      found.push_back({i, field.text});
      ++count[i];
      break;
    }
  }

  // 2. The body hash (bh=).
  Sha256 body_hash;
  relaxed_body(reader.body(), [&](std::string_view piece) { body_hash.update(piece); });
  auto bh = body_hash.finish();
  if (!bh) return fail(std::move(bh).error());

  // 3. h=: each name as often as it occurs, oversigned names once more;
  // a name's instances are taken from the bottom up (RFC 6376 5.4.2), so
  // its k-th listing is its (n-1-k)-th field in message order.
  std::vector<std::string_view> h;
  std::vector<std::string_view> chosen;  // the field each listing covers; empty: none
  for (size_t i = 0; i < names.size(); ++i) {
    bool over = std::any_of(options_.oversign.begin(), options_.oversign.end(),
                            [&](const std::string& o) { return iequals(o, names[i]); });
    size_t listings = count[i] + (over ? 1 : 0);
    std::vector<std::string_view> instances;
    for (const Found& f : found) {
      if (f.name == i) instances.push_back(f.text);
    }
    for (size_t k = 0; k < listings; ++k) {
      h.push_back(names[i]);
      chosen.push_back(k < instances.size() ? instances[instances.size() - 1 - k]
                                            : std::string_view());
    }
  }

  // 4. The field without b='s value, as it will stand in the message.
  auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(options_.clock().time_since_epoch()).count();
  Folder f("DKIM-Signature:");
  f.word("v=1;", true);
  f.word(fmt::format("a={};", algorithm_tag(key.algorithm())), true);
  f.word("c=relaxed/relaxed;", true);
  f.word(fmt::format("d={};", key.domain()), true);
  f.word(fmt::format("s={};", key.selector()), true);
  f.word(fmt::format("t={};", seconds), true);
  for (size_t k = 0; k < h.size(); ++k) {
    std::string name = ascii_lower(h[k]);
    std::string w = (k == 0 ? "h=" : "") + name + (k + 1 < h.size() ? ":" : ";");
    f.word(w, k == 0);
  }
  if (h.empty()) f.word("h=;", true);  // cannot happen while From is oversigned; kept valid anyway
  f.word(fmt::format("bh={};", base64_encode(*bh)), true);
  // b= starts a line of its own: easy to read, and its value's folding
  // then never touches the tags before it.
  f.fold();
  f.word("b=", false);

  // 5. The header hash: the chosen fields, then this field with an empty
  // b= and without its CRLF (RFC 6376 3.7), all relaxed.
  Sha256 header_hash;
  std::string canonical;
  for (std::string_view text : chosen) {
    if (text.empty()) continue;  // a listing beyond the fields present signs nothing
    canonical.clear();
    append_relaxed_header(canonical, text);
    header_hash.update(canonical);
  }
  canonical.clear();
  append_relaxed_header(canonical, f.text(), false);
  header_hash.update(canonical);
  auto digest = header_hash.finish();
  if (!digest) return fail(std::move(digest).error());
  auto signature = key.sign_digest(*digest);
  if (!signature) return fail(std::move(signature).error());

  f.cut(base64_encode(*signature));
  std::string out = f.text();
  out += "\r\n";
  return out;
}

}  // namespace hm::dkim
