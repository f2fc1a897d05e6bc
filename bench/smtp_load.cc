// smtp_load: an SMTP load generator for the delivery benchmark.
//
// Sends N messages of S bytes over C concurrent sessions, one message per
// connection (EHLO, MAIL, RCPT to a random address from a list file, DATA,
// QUIT), and measures the latency of the DATA reply: from sending the final
// ".\r\n" until the whole reply has been read. Prints p50/p99/max, the
// acceptance rate and, with --json, one JSON object for the orchestrating
// script (bench/run_smtp_bench.py).
//
// Plain blocking sockets, one thread per session: with C = 20 the threads
// cost less than the server they load, and the code stays obviously correct.
// The client must stay cheaper than the server because both share the cores.
//
// Threads: `C` workers take message numbers from one atomic counter; each
// keeps its own latencies and counters, merged after join().

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
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
  std::string host = "127.0.0.1";
  int port = 25;
  unsigned messages = 5000;
  size_t size = 5 * 1024;
  unsigned concurrency = 20;
  std::string recipients_file;
  std::string sender = "loadtest@bench.invalid";
  std::string helo = "smtp-load.bench.invalid";
  unsigned seed = 1;
  int timeout_s = 60;
  bool json = false;
};

// One connection; closes on destruction.
class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail(ErrorKind::kTemporary, fmt::format("send: {}", std::strerror(errno)));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return ok();
  }

  // Reads one whole reply (all its continuation lines); returns its code.
  Result<int> read_reply(std::string* text = nullptr) {
    for (;;) {
      // A reply is complete when a line "ddd " (or "ddd" alone) ends in CRLF.
      size_t start = 0;
      for (;;) {
        size_t eol = buffer_.find("\r\n", start);
        if (eol == std::string::npos) break;
        std::string_view line(buffer_.data() + start, eol - start);
        if (line.size() < 3) {
          return fail(ErrorKind::kInvalid, fmt::format("malformed reply line '{}'", line));
        }
        if (line.size() == 3 || line[3] == ' ') {
          int code = std::atoi(std::string(line.substr(0, 3)).c_str());
          if (text) text->assign(buffer_, 0, eol);
          buffer_.erase(0, eol + 2);
          return code;
        }
        start = eol + 2;
      }
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(ErrorKind::kTemporary, fmt::format("recv: {}", std::strerror(errno)));
      if (n == 0) return fail(ErrorKind::kTemporary, "the server closed the connection");
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::string buffer_;
};

Result<int> connect_to(const Options& o) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(ErrorKind::kInternal, fmt::format("socket: {}", std::strerror(errno)));
  timeval tv{o.timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  // Commands are small writes each waiting for a reply: Nagle would only
  // delay them.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  if (::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return fail(ErrorKind::kInvalid, "--host must be an IPv4 address: " + o.host);
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    return fail(ErrorKind::kTemporary,
                fmt::format("connect to {}:{}: {}", o.host, o.port, std::strerror(err)));
  }
  return fd;
}

// The message: a few headers and lines of 76 characters, CRLF, `size` bytes
// in all (at least the headers). No line starts with '.', so no dot-stuffing.
std::string make_message(const Options& o, const std::string& rcpt, unsigned number) {
  std::string m = fmt::format(
      "From: <{}>\r\nTo: <{}>\r\nSubject: load test message {}\r\n"
      "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <{}.{}@bench.invalid>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
      o.sender, rcpt, number, number, o.seed);
  static constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
  size_t i = number;
  while (m.size() + 2 < o.size) {
    size_t line = std::min<size_t>(76, o.size - m.size() - 2);
    for (size_t k = 0; k < line; ++k) m += kAlphabet[(i++ * 7) % kAlphabet.size()];
    m += "\r\n";
  }
  return m;
}

struct WorkerStats {
  std::vector<double> latencies_ms;  // DATA reply, accepted messages only
  unsigned accepted = 0;
  unsigned refused = 0;  // a 4xx/5xx at any step, or a broken connection
  std::string first_error;
};

Status expect(Connection& c, int want_class, std::string_view step) {
  std::string text;
  auto code = c.read_reply(&text);
  if (!code) return fail(code.error().prefix(step));
  if (*code / 100 != want_class) {
    return fail(ErrorKind::kTemporary, fmt::format("{}: server said '{}'", step, text));
  }
  return ok();
}

Status send_one(const Options& o, const std::string& rcpt, unsigned number, WorkerStats& stats) {
  auto fd = connect_to(o);
  if (!fd) return fail(fd.error());
  Connection c(*fd);
  HM_TRY(expect(c, 2, "greeting"));
  HM_TRY(c.send("EHLO " + o.helo + "\r\n"));
  HM_TRY(expect(c, 2, "EHLO"));
  HM_TRY(c.send("MAIL FROM:<" + o.sender + ">\r\n"));
  HM_TRY(expect(c, 2, "MAIL"));
  HM_TRY(c.send("RCPT TO:<" + rcpt + ">\r\n"));
  HM_TRY(expect(c, 2, "RCPT"));
  HM_TRY(c.send("DATA\r\n"));
  HM_TRY(expect(c, 3, "DATA"));
  HM_TRY(c.send(make_message(o, rcpt, number)));
  auto sent = Clock::now();
  HM_TRY(c.send(".\r\n"));
  HM_TRY(expect(c, 2, "end of data"));
  stats.latencies_ms.push_back(
      std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
  ++stats.accepted;
  // The message is accepted; a failing QUIT does not change that.
  if (c.send("QUIT\r\n")) (void)c.read_reply();
  return ok();
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

Result<std::vector<std::string>> read_recipients(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(ErrorKind::kNotFound, "cannot read the recipient list " + path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  if (out.empty()) return fail(ErrorKind::kInvalid, "the recipient list " + path + " is empty");
  return out;
}

void usage() {
  std::fprintf(stderr,
               "usage: smtp_load --port PORT --recipients FILE [--host 127.0.0.1]\n"
               "                 [--messages 5000] [--size 5120] [--concurrency 20]\n"
               "                 [--sender ADDR] [--seed N] [--timeout SECONDS] [--json]\n");
}

Result<Options> parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> Result<std::string> {
      if (i + 1 >= argc) return fail(ErrorKind::kInvalid, std::string(a) + " needs a value");
      return std::string(argv[++i]);
    };
    auto number = [&]() -> Result<unsigned long> {
      auto v = value();
      if (!v) return fail(v.error());
      char* end = nullptr;
      unsigned long n = std::strtoul(v->c_str(), &end, 10);
      if (v->empty() || *end != '\0') {
        return fail(ErrorKind::kInvalid, std::string(a) + " needs a number, not " + *v);
      }
      return n;
    };
    if (a == "--json") {
      o.json = true;
      continue;
    }
    if (a == "--host" || a == "--recipients" || a == "--sender") {
      auto v = value();
      if (!v) return fail(v.error());
      (a == "--host" ? o.host : a == "--recipients" ? o.recipients_file : o.sender) = *v;
      continue;
    }
    auto n = number();
    if (!n) return fail(n.error());
    if (a == "--port") {
      o.port = static_cast<int>(*n);
    } else if (a == "--messages") {
      o.messages = static_cast<unsigned>(*n);
    } else if (a == "--size") {
      o.size = *n;
    } else if (a == "--concurrency") {
      o.concurrency = static_cast<unsigned>(*n);
    } else if (a == "--seed") {
      o.seed = static_cast<unsigned>(*n);
    } else if (a == "--timeout") {
      o.timeout_s = static_cast<int>(*n);
    } else {
      return fail(ErrorKind::kInvalid, "unknown option " + std::string(a));
    }
  }
  if (o.recipients_file.empty() || o.port <= 0 || o.port > 65535 || o.concurrency == 0) {
    return fail(ErrorKind::kInvalid, "--port and --recipients are required, --concurrency > 0");
  }
  return o;
}

int run(int argc, char** argv) {
  auto options = parse(argc, argv);
  if (!options) {
    std::fprintf(stderr, "smtp_load: %s\n", options.error().message().c_str());
    usage();
    return 2;
  }
  const Options& o = *options;
  auto recipients = read_recipients(o.recipients_file);
  if (!recipients) {
    std::fprintf(stderr, "smtp_load: %s\n", recipients.error().message().c_str());
    return 2;
  }

  std::atomic<unsigned> next{0};
  std::vector<WorkerStats> stats(o.concurrency);
  std::vector<std::thread> workers;
  const auto wall_start = std::chrono::system_clock::now();
  const auto start = Clock::now();
  for (unsigned w = 0; w < o.concurrency; ++w) {
    workers.emplace_back([&, w] {
      std::mt19937_64 rng(o.seed * 1000003ULL + w);
      std::uniform_int_distribution<size_t> pick(0, recipients->size() - 1);
      for (;;) {
        unsigned number = next.fetch_add(1);
        if (number >= o.messages) return;
        const std::string& rcpt = (*recipients)[pick(rng)];
        if (Status s = send_one(o, rcpt, number, stats[w]); !s) {
          ++stats[w].refused;
          if (stats[w].first_error.empty()) stats[w].first_error = s.error().message();
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> all;
  unsigned accepted = 0, refused = 0;
  std::string first_error;
  for (const WorkerStats& s : stats) {
    all.insert(all.end(), s.latencies_ms.begin(), s.latencies_ms.end());
    accepted += s.accepted;
    refused += s.refused;
    if (first_error.empty()) first_error = s.first_error;
  }
  std::sort(all.begin(), all.end());
  const double p50 = percentile(all, 50), p99 = percentile(all, 99);
  const double max = all.empty() ? 0 : all.back();
  const double start_epoch = std::chrono::duration<double>(wall_start.time_since_epoch()).count();
  if (o.json) {
    // first_error comes from a server reply: keep only printable ASCII
    // without quotes or backslashes, so the JSON stays valid.
    std::string clean;
    for (char ch : first_error) {
      clean += (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? ch : ' ';
    }
    std::printf(
        "{\"messages\": %u, \"size\": %zu, \"concurrency\": %u, \"accepted\": %u, "
        "\"refused\": %u, \"start_epoch\": %.6f, \"elapsed_s\": %.6f, \"accept_rate\": %.2f, "
        "\"data_p50_ms\": %.3f, \"data_p99_ms\": %.3f, \"data_max_ms\": %.3f, "
        "\"first_error\": \"%s\"}\n",
        o.messages, o.size, o.concurrency, accepted, refused, start_epoch, elapsed,
        accepted / elapsed, p50, p99, max, clean.c_str());
  } else {
    std::printf("%u messages of %zu bytes over %u sessions in %.2f s\n", o.messages, o.size,
                o.concurrency, elapsed);
    std::printf("accepted %u, refused %u (%.1f accepted/s)\n", accepted, refused,
                accepted / elapsed);
    std::printf("DATA reply latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", p50, p99, max);
    if (!first_error.empty()) std::printf("first error: %s\n", first_error.c_str());
  }
  return refused == 0 ? 0 : 1;
}

}  // namespace
}  // namespace hm::bench

int main(int argc, char** argv) { return hm::bench::run(argc, argv); }
