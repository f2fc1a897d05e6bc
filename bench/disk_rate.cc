// disk_rate: how many durable Maildir deliveries per second this disk allows.
//
// `--writers` threads (20 by default) each repeatedly create a file of
// `--size` bytes in tmp/ of one Maildir (O_EXCL), write and fsync it, rename
// it into new/ and fsync new/: the work a durable Maildir delivery cannot
// avoid, without any SMTP or parsing. The run stops after `--files` files or
// `--seconds`, whichever comes first, and prints files per second (with
// --json, one JSON object for bench/run_smtp_bench.py), and the latency of
// one delivery (p50/p99), the floor under any DATA reply. The files are
// removed afterwards unless --keep is given.
//
// Threads: the writers share only an atomic counter and the Maildir.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "base/result.h"

namespace hm::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string dir;  // the Maildir to create: must not exist yet, its parent must
  unsigned writers = 20;
  unsigned files = 2000;
  double seconds = 30;
  size_t size = 5 * 1024;
  bool keep = false;
  bool json = false;
};

Error sys_error(std::string_view what, const std::string& path) {
  return Error(ErrorKind::kTemporary, fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

// One durable delivery: tmp/ file, fsync, rename into new/, fsync new/.
Status deliver_one(const std::string& root, int new_fd, const std::string& name,
                   std::string_view data) {
  const std::string tmp = root + "/tmp/" + name;
  const std::string dst = root + "/new/" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(sys_error("create", tmp));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return fail(sys_error("write", tmp));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail(sys_error("fsync", tmp));
  }
  if (::close(fd) != 0) return fail(sys_error("close", tmp));
  if (::rename(tmp.c_str(), dst.c_str()) != 0) return fail(sys_error("rename into", dst));
  if (::fsync(new_fd) != 0) return fail(sys_error("fsync", root + "/new"));
  return ok();
}

Result<Options> parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (a == "--keep") {
      o.keep = true;
      continue;
    }
    if (i + 1 >= argc) return fail(ErrorKind::kInvalid, std::string(a) + " needs a value");
    std::string v = argv[++i];
    char* end = nullptr;
    if (a == "--dir") {
      o.dir = v;
      continue;
    }
    double n = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || n < 0) {
      return fail(ErrorKind::kInvalid, std::string(a) + " needs a number, not " + v);
    }
    if (a == "--writers") {
      o.writers = static_cast<unsigned>(n);
    } else if (a == "--files") {
      o.files = static_cast<unsigned>(n);
    } else if (a == "--seconds") {
      o.seconds = n;
    } else if (a == "--size") {
      o.size = static_cast<size_t>(n);
    } else {
      return fail(ErrorKind::kInvalid, "unknown option " + std::string(a));
    }
  }
  if (o.dir.empty() || o.writers == 0 || o.files == 0) {
    return fail(ErrorKind::kInvalid, "--dir is required; --writers and --files must be > 0");
  }
  return o;
}

int run(int argc, char** argv) {
  auto options = parse(argc, argv);
  if (!options) {
    std::fprintf(stderr,
                 "disk_rate: %s\nusage: disk_rate --dir NEW_MAILDIR [--writers 20] "
                 "[--files 2000] [--seconds 30] [--size 5120] [--keep] [--json]\n",
                 options.error().message().c_str());
    return 2;
  }
  const Options& o = *options;
  for (const char* sub : {"", "/tmp", "/new", "/cur"}) {
    std::string path = o.dir + sub;
    if (::mkdir(path.c_str(), 0700) != 0) {
      std::fprintf(stderr, "disk_rate: cannot create %s: %s (give a folder that does not exist)\n",
                   path.c_str(), std::strerror(errno));
      return 2;
    }
  }

  const std::string data(o.size, 'x');
  std::atomic<unsigned> next{0};
  std::atomic<unsigned> written{0};
  std::atomic<bool> failed{false};
  // Per-delivery latency (create .. fsync of new/ returned), per writer.
  std::vector<std::vector<double>> latencies(o.writers);
  std::string first_error;
  std::mutex error_mutex;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(o.seconds);
  std::vector<std::thread> writers;
  for (unsigned w = 0; w < o.writers; ++w) {
    writers.emplace_back([&, w] {
      // Each writer keeps new/ open, as a delivery process would keep it
      // cheap to reach; the fsync is what costs.
      const std::string new_dir = o.dir + "/new";
      int new_fd = ::open(new_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (new_fd < 0) {
        std::lock_guard lock(error_mutex);
        if (first_error.empty()) first_error = sys_error("open", new_dir).message();
        failed = true;
        return;
      }
      for (;;) {
        unsigned number = next.fetch_add(1);
        if (number >= o.files || Clock::now() >= deadline || failed) break;
        std::string name = fmt::format("{}.W{}N{}.disk-rate", ::time(nullptr), w, number);
        const auto began = Clock::now();
        Status s = deliver_one(o.dir, new_fd, name, data);
        latencies[w].push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - began).count());
        if (!s) {
          std::lock_guard lock(error_mutex);
          if (first_error.empty()) first_error = s.error().message();
          failed = true;
          break;
        }
        ++written;
      }
      ::close(new_fd);
    });
  }
  for (auto& t : writers) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (!o.keep) {
    std::error_code ignored;
    std::filesystem::remove_all(o.dir, ignored);
  }
  if (failed) {
    std::fprintf(stderr, "disk_rate: %s\n", first_error.c_str());
    return 1;
  }
  const double rate = written / elapsed;
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto percentile = [&](double p) {
    if (all.empty()) return 0.0;
    return all[std::min(
        all.size() - 1,
        static_cast<size_t>(p / 100.0 * static_cast<double>(all.size() - 1) + 0.5))];
  };
  if (o.json) {
    std::printf(
        "{\"writers\": %u, \"size\": %zu, \"files\": %u, \"elapsed_s\": %.6f, "
        "\"files_per_s\": %.2f, \"p50_ms\": %.3f, \"p99_ms\": %.3f}\n",
        o.writers, o.size, written.load(), elapsed, rate, percentile(50), percentile(99));
  } else {
    std::printf(
        "%u writers, %u files of %zu bytes in %.2f s: %.1f durable files/s; "
        "per file p50 %.2f ms, p99 %.2f ms\n",
        o.writers, written.load(), o.size, elapsed, rate, percentile(50), percentile(99));
  }
  return 0;
}

}  // namespace
}  // namespace hm::bench

int main(int argc, char** argv) { return hm::bench::run(argc, argv); }
