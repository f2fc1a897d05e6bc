#include "store/stored_message.h"

#include <algorithm>

#include "base/line_ends.h"

namespace hm::store {

StoredMessage StoredMessage::from_wire(std::string_view prefix, std::string_view wire) {
  std::string text;
  text.reserve(prefix.size() + wire.size());
  size_t lines = append_with_lf(prefix, text);
  lines += append_with_lf(wire, text);
  return StoredMessage(std::move(text), lines);
}

StoredMessage StoredMessage::from_stored(std::string text) {
  const auto lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  return StoredMessage(std::move(text), lines);
}

}  // namespace hm::store
