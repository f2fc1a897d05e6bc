#include "queue/queue_format.h"

#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace hm::queue::format {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

std::string encode(std::string_view raw, bool keep_spaces) {
  if (raw.empty()) return "-";
  if (raw == "-") return "%2D";
  std::string out;
  out.reserve(raw.size());
  for (char ch : raw) {
    auto c = static_cast<unsigned char>(ch);
    bool plain = c > 0x20 && c < 0x7f && c != '%';
    if (c == ' ' && keep_spaces) plain = true;
    if (plain) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

template <typename T>
Result<T> parse_number(std::string_view s, std::string_view what) {
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
    return fail(ErrorKind::kInvalid, fmt::format("bad {} \"{}\"", what, s));
  }
  return value;
}

int64_t to_unix(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix(int64_t s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(s));
}

// A time in an envelope: unix seconds between 0 and 2^33 (the year 2242),
// so that the clock's nanoseconds cannot overflow. The file lies where the
// unprivileged daemon writes, and root's `hostmail queue` reads it too.
Result<std::chrono::system_clock::time_point> parse_time(std::string_view s) {
  auto t = parse_number<int64_t>(s, "time");
  if (!t) return fail(std::move(t).error());
  if (*t < 0 || *t > (int64_t{1} << 33)) {
    return fail(ErrorKind::kInvalid, fmt::format("time \"{}\" out of range", s));
  }
  return from_unix(*t);
}

// Splits off the first `n` space-separated words; the rest (possibly with
// spaces) is the last element.
std::vector<std::string_view> words(std::string_view line, size_t n) {
  std::vector<std::string_view> out;
  while (out.size() < n) {
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) break;
    out.push_back(line.substr(0, sp));
    line.remove_prefix(sp + 1);
  }
  out.push_back(line);
  return out;
}

}  // namespace

std::string encode_field(std::string_view raw) { return encode(raw, false); }
std::string encode_text(std::string_view raw) { return encode(raw, true); }

Result<std::string> decode(std::string_view field) {
  if (field == "-") return std::string();
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '%') {
      out += field[i];
      continue;
    }
    int hi = i + 2 < field.size() ? hex_value(field[i + 1]) : -1;
    int lo = i + 2 < field.size() ? hex_value(field[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return fail(ErrorKind::kInvalid, fmt::format("bad %-escape in \"{}\"", field));
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string_view state_name(QueuedRecipient::State state) {
  switch (state) {
    case QueuedRecipient::State::kPending: return "pending";
    case QueuedRecipient::State::kDeferred: return "deferred";
    case QueuedRecipient::State::kDelivered: return "delivered";
    case QueuedRecipient::State::kFailed: return "failed";
  }
  return "pending";
}

Result<QueuedRecipient::State> parse_state(std::string_view name) {
  for (auto s : {QueuedRecipient::State::kPending, QueuedRecipient::State::kDeferred,
                 QueuedRecipient::State::kDelivered, QueuedRecipient::State::kFailed}) {
    if (state_name(s) == name) return s;
  }
  return fail(ErrorKind::kInvalid, fmt::format("unknown recipient state \"{}\"", name));
}

std::string write_envelope(const QueueEntry& entry) {
  std::string out;
  out += kMagic;
  out += '\n';
  out += fmt::format("sender {}\n", encode_field(entry.sender));
  out += fmt::format("arrived {}\n", to_unix(entry.arrived));
  for (const QueuedRecipient& r : entry.recipients) {
    // A failed recipient whose bounce is done is written "bounced"; older
    // envelopes have only "failed", which reads as "bounce still due".
    std::string_view state = r.state == QueuedRecipient::State::kFailed && r.bounced
                                 ? kBouncedState
                                 : state_name(r.state);
    out += fmt::format("rcpt {} {} {} {} {} {} {}\n", state, r.attempts, to_unix(r.next_attempt),
                       route_word(r.route), encode_field(r.address), encode_field(r.original),
                       encode_text(r.last_error));
  }
  out += '\n';
  return out;
}

namespace {

constexpr std::string_view kRemotePrefix = "remote:";

}  // namespace

std::string route_word(const Route& route) {
  switch (route.kind) {
    case Route::Kind::kVirtual: return "virtual";
    case Route::Kind::kLocal: return "local";
    case Route::Kind::kRemote: return std::string(kRemotePrefix) + encode_field(route.next_hop);
  }
  return "virtual";
}

Result<Route> parse_route(std::string_view word) {
  if (word == "virtual") return Route{Route::Kind::kVirtual, {}};
  if (word == "local") return Route{Route::Kind::kLocal, {}};
  if (word.substr(0, kRemotePrefix.size()) == kRemotePrefix) {
    auto hop = decode(word.substr(kRemotePrefix.size()));
    if (!hop) return fail(std::move(hop).error());
    return Route{Route::Kind::kRemote, std::move(*hop)};
  }
  return fail(ErrorKind::kInvalid, fmt::format("unknown transport \"{}\"", word));
}

Route route_of_v1(std::string_view address) {
  if (address.find('@') == std::string_view::npos) return Route{Route::Kind::kLocal, {}};
  return Route{Route::Kind::kVirtual, {}};
}

Result<QueueEntry> parse_envelope(std::string_view text) {
  QueueEntry entry;
  bool magic = false, sender = false, arrived = false, end = false;
  bool v1 = false;  // an envelope of version 1: rcpt lines without a route
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      return fail(ErrorKind::kInvalid, fmt::format("line {} is not terminated", line_no + 1));
    }
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    ++line_no;
    auto bad = [&](const Error& e) {
      return fail(ErrorKind::kInvalid, fmt::format("line {}: {}", line_no, e.message()));
    };
    if (!magic) {
      if (line != kMagic && line != kMagicV1) {
        return fail(ErrorKind::kInvalid,
                    fmt::format("not a hostmail queue file (first line is not \"{}\")", kMagic));
      }
      v1 = line == kMagicV1;
      magic = true;
      continue;
    }
    if (line.empty()) {
      end = true;
      break;
    }
    auto w = words(line, 1);
    if (w[0] == "sender" && w.size() == 2) {
      auto s = decode(w[1]);
      if (!s) return bad(s.error());
      entry.sender = std::move(*s);
      sender = true;
    } else if (w[0] == "arrived" && w.size() == 2) {
      auto t = parse_time(w[1]);
      if (!t) return bad(t.error());
      entry.arrived = *t;
      arrived = true;
    } else if (w[0] == "rcpt") {
      // Version 2: rcpt <state> <attempts> <next> <route> <address> <original> <error>;
      // version 1 has no <route>.
      const size_t fields = v1 ? 6 : 7;
      auto f = words(line, fields);
      if (f.size() != fields + 1) {
        return bad(Error(ErrorKind::kInvalid, fmt::format("a rcpt line needs {} fields", fields)));
      }
      QueuedRecipient r;
      if (!v1) {
        auto route = parse_route(f[4]);
        if (!route) return bad(route.error());
        r.route = std::move(*route);
        f.erase(f.begin() + 4);  // the rest as in version 1
      }
      if (f[1] == kBouncedState) {
        r.state = QueuedRecipient::State::kFailed;
        r.bounced = true;
      } else {
        auto state = parse_state(f[1]);
        if (!state) return bad(state.error());
        r.state = *state;
      }
      auto attempts = parse_number<unsigned>(f[2], "attempt count");
      if (!attempts) return bad(attempts.error());
      r.attempts = *attempts;
      auto next = parse_time(f[3]);
      if (!next) return bad(next.error());
      r.next_attempt = *next;
      auto address = decode(f[4]);
      if (!address) return bad(address.error());
      auto original = decode(f[5]);
      if (!original) return bad(original.error());
      auto error = decode(f[6]);
      if (!error) return bad(error.error());
      if (v1) r.route = route_of_v1(*address);
      r.address = std::move(*address);
      r.original = std::move(*original);
      r.last_error = std::move(*error);
      entry.recipients.push_back(std::move(r));
    } else {
      return bad(Error(ErrorKind::kInvalid, fmt::format("unknown line \"{}\"", w[0])));
    }
  }
  if (!magic) return fail(ErrorKind::kInvalid, "empty queue file");
  if (!end) return fail(ErrorKind::kInvalid, "the envelope ends without its blank line (torn)");
  if (!sender || !arrived) {
    return fail(ErrorKind::kInvalid, "the envelope lacks its sender or arrived line");
  }
  return entry;
}

}  // namespace hm::queue::format
