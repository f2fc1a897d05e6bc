#include "dkim/canonical.h"

#include <algorithm>

namespace hm::dkim {
namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

// Collects output into blocks, so that the sink (a hash update) is called
// once per few KiB instead of once per line or per white-space run.
class BlockWriter {
 public:
  explicit BlockWriter(const BodySink& sink) : sink_(sink) {}
  ~BlockWriter() { flush(); }
  BlockWriter(const BlockWriter&) = delete;
  BlockWriter& operator=(const BlockWriter&) = delete;

  void put(char c) {
    if (used_ == sizeof buf_) flush();
    buf_[used_++] = c;
  }
  void put(std::string_view s) {
    while (!s.empty()) {
      if (used_ == sizeof buf_) flush();
      size_t n = std::min(s.size(), sizeof buf_ - used_);
      s.copy(buf_ + used_, n);
      used_ += n;
      s.remove_prefix(n);
    }
  }
  void flush() {
    if (used_ > 0) sink_(std::string_view(buf_, used_));
    used_ = 0;
  }

 private:
  const BodySink& sink_;
  char buf_[8192];
  size_t used_ = 0;
};

}  // namespace

void append_relaxed_header(std::string& out, std::string_view field, bool crlf) {
  size_t colon = field.find(':');
  std::string_view name = field.substr(0, colon);
  // "Subject :" (obsolete syntax, RFC 5322 4.5.8): no white space before
  // the colon either.
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  for (char c : name) out += ascii_lower(c);
  out += ':';
  std::string_view value =
      colon == std::string_view::npos ? std::string_view() : field.substr(colon + 1);
  // A run of white space is written as one SP only when something follows
  // it, which also drops it at the end; at the start nothing was written
  // yet, which drops it there.
  bool wrote = false;
  bool space = false;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\r' && i + 1 < value.size() && value[i + 1] == '\n') {
      ++i;  // unfolding removes the CRLF only; the WSP after it is a run like any other
      continue;
    }
    if (is_wsp(c)) {
      space = true;
      continue;
    }
    if (space && wrote) out += ' ';
    space = false;
    out += c;
    wrote = true;
  }
  if (crlf) out += "\r\n";
}

void relaxed_body(std::string_view body, const BodySink& sink) {
  BlockWriter w(sink);
  // Empty lines are held back until a line with content shows they were not
  // at the end of the body.
  size_t held_lines = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    std::string_view line =
        body.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? body.size() : eol + 2;

    size_t last = line.find_last_not_of(" \t");
    if (last == std::string_view::npos) {  // empty, or only white space
      ++held_lines;
      continue;
    }
    line = line.substr(0, last + 1);  // no white space at the end of a line
    for (; held_lines > 0; --held_lines) w.put("\r\n");
    size_t i = 0;
    while (i < line.size()) {
      size_t run = i;
      while (run < line.size() && !is_wsp(line[run])) ++run;
      w.put(line.substr(i, run - i));
      if (run == line.size()) break;
      w.put(' ');
      i = line.find_first_not_of(" \t", run);  // not npos: the line ends in a non-WSP byte
    }
    w.put("\r\n");
  }
}

std::string relaxed_body(std::string_view body) {
  std::string out;
  relaxed_body(body, [&out](std::string_view piece) { out += piece; });
  return out;
}

}  // namespace hm::dkim
