#include "base/line_ends.h"

#include <cstring>

namespace hm {

size_t append_with_lf(std::string_view in, std::string& out) {
  size_t lines = 0;
  const char* p = in.data();
  const char* end = p + in.size();
  // One memchr per line: the bytes between line ends are appended in one go.
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (!nl) {
      out.append(p, static_cast<size_t>(end - p));
      break;
    }
    const char* line_end = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
    out.append(p, static_cast<size_t>(line_end - p));
    out += '\n';
    ++lines;
    p = nl + 1;
  }
  return lines;
}

std::string with_crlf(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 32);
  LineEndNormalizer n;
  n.feed(in, out);
  n.finish(out);
  return out;
}

void LineEndNormalizer::feed(std::string_view in, std::string& out) {
  size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (c == '\r') {
      if (pending_cr_) {  // CR CR: the first was bare
        ++bare_;
        out += "\r\n";
      }
      pending_cr_ = true;
      ++i;
    } else if (c == '\n') {
      if (!pending_cr_) ++bare_;
      pending_cr_ = false;
      out += "\r\n";
      ++i;
    } else {
      if (pending_cr_) {
        ++bare_;
        out += "\r\n";
        pending_cr_ = false;
      }
      // A run of ordinary bytes in one go.
      size_t j = i + 1;
      while (j < in.size() && in[j] != '\r' && in[j] != '\n') ++j;
      out.append(in.substr(i, j - i));
      i = j;
    }
  }
}

void LineEndNormalizer::finish(std::string& out) {
  if (pending_cr_) {
    ++bare_;
    out += "\r\n";
    pending_cr_ = false;
  }
}

}  // namespace hm
