#pragma once
// Transcript tests in the manner of Postfix's .in/.ref pairs, shared by the
// protocol layers: every <dir>/<name>.in is run through `run` and the output
// compared with <name>.ref. HM_UPDATE_REF=1 rewrites the .ref files from the
// current behaviour instead (review the diff before keeping it).
// Header-only: it uses GoogleTest's assertions, which only tests link.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <istream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace hm::test_support {

// Whether `text` matches `pattern`, where '*' stands for any run of
// characters: a transcript's "S:" lines.
inline bool glob_match(std::string_view pattern, std::string_view text) {
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return pattern == text;
  if (text.substr(0, star) != pattern.substr(0, star)) return false;
  const std::string_view rest = pattern.substr(star + 1);
  for (size_t i = star; i <= text.size(); ++i) {
    if (glob_match(rest, text.substr(i))) return true;
  }
  return false;
}

// The names (without ".txt") of the transcript files in `dir`, sorted: the
// parameters of a session's transcript test.
inline std::vector<std::string> transcript_names(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".txt") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline void check_transcripts(const std::filesystem::path& dir,
                              const std::function<std::string(std::istream&)>& run) {
  const bool update = std::getenv("HM_UPDATE_REF") != nullptr;
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".in") continue;
    ++count;
    std::ifstream in(entry.path(), std::ios::binary);
    ASSERT_TRUE(in) << entry.path();
    const std::string actual = run(in);
    std::filesystem::path ref_path = entry.path();
    ref_path.replace_extension(".ref");
    if (update) {
      std::ofstream(ref_path, std::ios::binary) << actual;
      continue;
    }
    std::ifstream ref(ref_path, std::ios::binary);
    ASSERT_TRUE(ref) << "missing " << ref_path << " (run with HM_UPDATE_REF=1 to create it)";
    const std::string expected((std::istreambuf_iterator<char>(ref)),
                               std::istreambuf_iterator<char>());
    EXPECT_EQ(actual, expected) << "transcript " << entry.path().filename();
  }
  EXPECT_GT(count, 0u) << "no .in files in " << dir;
}

}  // namespace hm::test_support
