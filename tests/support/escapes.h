#pragma once
// Test data in readable text: C escapes in transcripts (\r \n \t \0,
// \\ and \xHH), and bytes outside printable ASCII shown as \xHH, so UTF-8 and
// control bytes stay visible and data files stay plain ASCII.

#include <string>
#include <string_view>

namespace hm::test_support {

std::string unescape(std::string_view s);
std::string escape(std::string_view s);

}  // namespace hm::test_support
