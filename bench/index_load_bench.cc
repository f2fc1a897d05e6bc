// index_load_bench: how long a folder's index (store/maildir/message_index.h)
// takes to load, and to answer every message's ENVELOPE from it, the warm
// path of `FETCH 1:* (ENVELOPE)`.
//
// Writes an index of `--messages` messages (100,000 by default) into a
// temporary folder, each with an envelope, a body structure and two header
// fields of typical sizes, then opens it `--rounds` times (5) and prints the
// file's size, the best and median load times, and the time to get every
// envelope. The folder is removed afterwards.
//
// Usage: index_load_bench [--messages N] [--rounds N]

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "base/unique_fd.h"
#include "store/maildir/message_index.h"

namespace hm::bench {
namespace {

using Clock = std::chrono::steady_clock;
using store::maildir::MessageIndex;

constexpr uint32_t kValidity = 1700000000;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string base_name(uint32_t uid) {
  return fmt::format("17000{:05}.M{}P4711Q{}R0123456789abcdef.mx1", uid % 100000, uid, uid);
}

// About the sizes of a mailing-list message's strings.
std::string envelope(uint32_t uid) {
  return fmt::format(
      "(\"Tue, 3 Dec 2024 10:{:02}:00 +0000\" \"Re: [list] a subject line of some length, "
      "number {}\" ((\"Some Sender\" NIL \"sender{}\" \"example.org\")) ((\"Some Sender\" NIL "
      "\"sender{}\" \"example.org\")) ((\"Some Sender\" NIL \"sender{}\" \"example.org\")) "
      "((NIL NIL \"list\" \"lists.example.org\")) NIL NIL \"<{}.parent@example.org>\" "
      "\"<{}.message@example.org>\")",
      uid % 60, uid, uid, uid, uid, uid, uid);
}

int run(int argc, char** argv) {
  uint32_t messages = 100000;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--messages") == 0) {
      messages = static_cast<uint32_t>(std::strtoul(argv[i + 1], nullptr, 10));
    } else if (std::strcmp(argv[i], "--rounds") == 0) {
      rounds = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "usage: index_load_bench [--messages N] [--rounds N]\n");
      return 2;
    }
  }
  std::string dir = (std::filesystem::temp_directory_path() / "hm-index-bench-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  const std::string body_structure =
      "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 2345 61 NIL NIL "
      "NIL NIL)";

  auto start = Clock::now();
  {
    auto index = MessageIndex::open(dir_fd.get(), dir, kValidity);
    for (uint32_t uid = 1; uid <= messages; ++uid) {
      const std::string base = base_name(uid);
      index->put(uid, base, "envelope", envelope(uid));
      index->put(uid, base, "bodystructure", body_structure);
      index->put(uid, base, "header:LIST-ID", "<list.lists.example.org>");
      index->put(uid, base, "header:X-SPAM-FLAG", "NO");
      if (uid % 10000 == 0 || uid == messages) {
        if (auto s = index->flush(); !s) {
          std::fprintf(stderr, "%s\n", s.error().describe().c_str());
          return 1;
        }
      }
    }
  }
  const double write_ms = ms_since(start);
  const auto size = std::filesystem::file_size(dir + "/" + store::maildir::kIndexName);

  std::vector<double> loads;
  std::vector<double> gets;
  for (int r = 0; r < rounds; ++r) {
    start = Clock::now();
    auto index = MessageIndex::open(dir_fd.get(), dir, kValidity);
    loads.push_back(ms_since(start));
    if (index->messages() != messages) {
      std::fprintf(stderr, "the index did not load whole\n");
      return 1;
    }
    start = Clock::now();
    size_t bytes = 0;
    for (uint32_t uid = 1; uid <= messages; ++uid) {
      auto v = index->get(uid, base_name(uid), "envelope");
      bytes += v ? v->size() : 0;
    }
    gets.push_back(ms_since(start));
    if (bytes == 0) return 1;
  }
  std::sort(loads.begin(), loads.end());
  std::sort(gets.begin(), gets.end());
  fmt::print(
      "messages {}  index {:.1f} MiB  written in {:.0f} ms (10 flushes)\n"
      "load: best {:.1f} ms, median {:.1f} ms   every ENVELOPE from it: best {:.1f} ms\n",
      messages, static_cast<double>(size) / (1 << 20), write_ms, loads.front(),
      loads[loads.size() / 2], gets.front());
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace hm::bench

int main(int argc, char** argv) { return hm::bench::run(argc, argv); }
