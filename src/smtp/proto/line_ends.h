#pragma once
// BDAT data (RFC 3030) is taken as it is, without dot-stuffing, but its line
// ends are made CRLF as in DATA. The normaliser is the tree's one
// implementation of line-end conversion, in base/line_ends.h.

#include "base/line_ends.h"

namespace hm::smtp::proto {

using LineEndNormalizer = ::hm::LineEndNormalizer;

}  // namespace hm::smtp::proto
