#include "smtp/proto/line_ends.h"

namespace hm::smtp::proto {

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

}  // namespace hm::smtp::proto
