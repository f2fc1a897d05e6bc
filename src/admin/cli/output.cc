#include "admin/cli/output.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <iostream>

#include "base/strings.h"

namespace hm::admin::cli {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

boost::json::value json_cell(const Table& t, size_t column, const std::string& cell) {
  const std::string& name = t.columns[column];
  if (cell.empty() && contains(t.nullable_columns, name)) return nullptr;
  if (contains(t.numeric_columns, name)) {
    uint64_t n = 0;
    std::from_chars(cell.data(), cell.data() + cell.size(), n);
    return n;
  }
  if (contains(t.boolean_columns, name)) return cell == "true";
  if (contains(t.list_columns, name)) {
    boost::json::array items;
    if (!cell.empty()) {
      for (const std::string& part : split(cell, ',')) items.emplace_back(std::string(trim(part)));
    }
    return items;
  }
  return boost::json::string(cell);
}

}  // namespace

void print_table(const Table& t, bool json) {
  if (json) {
    boost::json::array out;
    for (const auto& row : t.rows) {
      boost::json::object obj;
      for (size_t i = 0; i < t.columns.size() && i < row.size(); ++i) {
        obj[t.columns[i]] = json_cell(t, i, row[i]);
      }
      out.push_back(std::move(obj));
    }
    std::cout << boost::json::serialize(out) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = t.rows;
  for (auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < t.columns.size(); ++i) {
      if (row[i].empty() && contains(t.nullable_columns, t.columns[i])) row[i] = "-";
    }
  }
  std::vector<size_t> width(t.columns.size());
  for (size_t i = 0; i < t.columns.size(); ++i) width[i] = t.columns[i].size();
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  };
  print_row(t.columns);
  for (const auto& row : rows) print_row(row);
}

}  // namespace hm::admin::cli
