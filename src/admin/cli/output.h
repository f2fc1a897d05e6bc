#pragma once
// What the listing commands print: aligned text columns for people, or JSON
// (--json) for scripts. Each listing is an array of objects whose keys are
// the column names.

#include <string>
#include <vector>

namespace hm::admin::cli {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // strings; see numeric_columns for JSON
  std::vector<std::string> numeric_columns;    // printed as JSON numbers
  std::vector<std::string> boolean_columns;    // "true"/"false" printed as JSON booleans
  std::vector<std::string> list_columns;       // ", "-separated, printed as JSON arrays
  // An empty cell in one of these means "none": "-" in text, null in JSON
  // (rather than a made-up value such as the Unix epoch).
  std::vector<std::string> nullable_columns;
};

// Writes the table to stdout as text (with a header line) or as JSON.
void print_table(const Table& table, bool json);

}  // namespace hm::admin::cli
