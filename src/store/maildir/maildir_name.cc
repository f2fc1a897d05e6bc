#include "store/maildir/maildir_name.h"

#include <algorithm>
#include <charconv>

namespace hm::store::maildir {

namespace {

std::optional<uint64_t> number_at(std::string_view s) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  return value;
}

// The value of ",<key>=<digits>" in `base`, where the digits end the base
// or are followed by another ',' part.
std::optional<uint64_t> field_in_name(std::string_view base, std::string_view key) {
  const std::string needle = "," + std::string(key) + "=";
  size_t at = base.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = base.substr(at + needle.size());
  size_t end = rest.find(',');
  std::string_view digits = rest.substr(0, end);
  if (digits.empty() ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return number_at(digits);
}

}  // namespace

std::optional<MaildirName> parse_maildir_name(std::string_view name) {
  if (name.empty() || name.front() == '.') return std::nullopt;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || u < 0x20 || u == 0x7f) return std::nullopt;
  }
  MaildirName out;
  size_t colon = name.find(':');
  out.base = std::string(name.substr(0, colon));
  if (out.base.empty()) return std::nullopt;
  if (colon != std::string_view::npos) {
    std::string_view info = name.substr(colon + 1);
    // Only the "2," info carries flags; "1,..." (experimental) carries none.
    if (info.substr(0, 2) == "2,") out.flags = normalize_flags(info.substr(2));
  }
  return out;
}

std::string normalize_flags(std::string_view flags) {
  std::string out;
  for (char c : flags) {
    if (((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) && out.find(c) == std::string::npos) {
      out += c;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string cur_name(std::string_view base, std::string_view flags) {
  return std::string(base) + ":2," + normalize_flags(flags);
}

std::string standard_flags(std::string_view flags) {
  std::string out;
  for (char c : normalize_flags(flags)) {
    if (std::string_view("DFPRST").find(c) != std::string_view::npos) out += c;
  }
  return out;
}

std::optional<uint64_t> size_in_name(std::string_view base) { return field_in_name(base, "S"); }
std::optional<uint64_t> wire_size_in_name(std::string_view base) {
  return field_in_name(base, "W");
}

std::optional<DeliveryTime> delivery_time_in_name(std::string_view base) {
  size_t dot = base.find('.');
  std::string_view secs = base.substr(0, dot);
  if (secs.empty() || secs.size() > 12 ||
      !std::all_of(secs.begin(), secs.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  DeliveryTime t;
  t.seconds = static_cast<int64_t>(*number_at(secs));
  if (dot != std::string_view::npos && dot + 1 < base.size() && base[dot + 1] == 'M') {
    std::string_view rest = base.substr(dot + 2);
    size_t n = 0;
    while (n < rest.size() && n < 6 && rest[n] >= '0' && rest[n] <= '9') ++n;
    if (n > 0) t.micros = static_cast<int64_t>(*number_at(rest.substr(0, n)));
  }
  return t;
}

}  // namespace hm::store::maildir
