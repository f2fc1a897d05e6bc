// smtp_load: an SMTP load generator for the delivery benchmark.
//
// Sends N messages of S bytes over C concurrent sessions, one message per
// connection (EHLO, MAIL, RCPT to a random address from a list file, DATA,
// QUIT), and measures the latency of the DATA reply: from sending the final
// ".\r\n" until the whole reply has been read. Prints p50/p99/max, the
// acceptance rate and, with --json, one JSON object for the orchestrating
// script (bench/run_smtp_bench.py).
//
// One thread and epoll for all sessions: client and server share the cores
// of the machine under test, so every microsecond the client spends is taken
// from the server. One thread that finds several replies ready per wake-up
// costs a fraction of one blocked thread per session (the previous design:
// about a quarter of the CPU of a run was the client's).
//
// When the server offers PIPELINING the client sends MAIL, RCPT and DATA in
// one write and reads the three replies together (RFC 2920), as Postfix,
// Exim and the large senders do; `--no-pipelining` sends one command per
// round trip instead. After the message is accepted it sends QUIT and
// closes without waiting for the 221, as Postfix's SMTP client does by
// default (smtp_skip_quit_response = yes); `--wait-for-quit-reply` waits.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "base/result.h"
#include "base/unique_fd.h"

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
  bool pipelining = true;
  bool sequential = false;  // message k goes to recipient k (mod the list), not a random one
  bool wait_for_quit_reply = false;
  bool json = false;
};

// The message: a few headers and lines of 76 characters, CRLF, `size` bytes
// in all (at least the headers), then the terminating ".\r\n". No line starts
// with '.', so no dot-stuffing. The body is the same for every message;
// only the headers differ.
class MessageMaker {
 public:
  explicit MessageMaker(const Options& o) : o_(o) {
    static constexpr std::string_view kAlphabet =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
    size_t i = 0;
    while (body_.size() < o.size) {
      for (size_t k = 0; k < 76; ++k) body_ += kAlphabet[(i++ * 7) % kAlphabet.size()];
      body_ += "\r\n";
    }
  }

  std::string make(const std::string& rcpt, unsigned number) const {
    std::string m = fmt::format(
        "From: <{}>\r\nTo: <{}>\r\nSubject: load test message {}\r\n"
        "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <{}.{}@bench.invalid>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n",
        o_.sender, rcpt, number, number, o_.seed);
    if (m.size() + 2 < o_.size) {
      // Whole lines of the body, then one shorter line to reach the size.
      size_t want = o_.size - m.size() - 2;
      size_t whole = want / 78 * 78;
      m.append(body_, 0, whole);
      if (want > whole) {
        m.append(body_, 0, want - whole);
        m += "\r\n";
      }
    }
    m += "\r\n.\r\n";
    return m;
  }

 private:
  const Options& o_;
  std::string body_;
};

// Where a session is in its one-message conversation; each state waits for
// the reply (or replies) named.
enum class Step { kGreeting, kEhlo, kMail, kRcpt, kData, kEndOfData, kQuit };

struct Session {
  Session() = default;  // not an aggregate: UniqueFd's constructor is explicit
  UniqueFd fd;
  Step step = Step::kGreeting;
  unsigned number = 0;
  std::string rcpt;
  std::string in;
  std::string out;  // what a full socket buffer did not take yet
  bool pipelining = false;
  Clock::time_point sent_dot;
  Clock::time_point deadline;
  Clock::time_point step_started;  // when the current step's wait began
};

// The steps whose mean wait is reported (where a session's time goes).
constexpr const char* kStepNames[] = {"connect_greeting", "ehlo", "mail_rcpt_data", "end_of_data",
                                      "quit"};
constexpr size_t kSteps = std::size(kStepNames);

struct Stats {
  std::vector<double> latencies_ms;  // DATA reply, accepted messages only
  double step_ms[kSteps] = {};       // summed over accepted messages
  unsigned step_count[kSteps] = {};
  unsigned accepted = 0;
  unsigned refused = 0;  // a 4xx/5xx at any step, or a broken connection
  std::string first_error;
};

class Load {
 public:
  Load(const Options& o, const std::vector<std::string>& recipients)
      : o_(o),
        recipients_(recipients),
        maker_(o),
        rng_(o.seed * 1000003ULL),
        pick_(0, recipients.size() - 1),
        epoll_(::epoll_create1(EPOLL_CLOEXEC)) {}

  Status run() {
    if (epoll_.get() < 0) return fail(ErrorKind::kInternal, "epoll_create1 failed");
    sessions_.resize(o_.concurrency);
    for (size_t i = 0; i < sessions_.size(); ++i) start(i);
    std::vector<epoll_event> events(sessions_.size() + 1);
    while (active_ > 0) {
      int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 1000);
      if (n < 0 && errno != EINTR) {
        return fail(ErrorKind::kInternal, fmt::format("epoll_wait: {}", std::strerror(errno)));
      }
      for (int k = 0; k < n; ++k) on_ready(events[static_cast<size_t>(k)].data.u64);
      expire();
    }
    return ok();
  }

  Stats& stats() { return stats_; }

 private:
  // Starts the next message on slot `i`, or leaves the slot idle when all
  // messages are taken.
  void start(size_t i) {
    for (;;) {
      if (next_ >= o_.messages) return;
      Session& s = sessions_[i];
      s = Session{};
      s.number = next_++;
      s.rcpt = recipients_[o_.sequential ? s.number % recipients_.size() : pick_(rng_)];
      s.step_started = Clock::now();
      s.deadline = s.step_started + std::chrono::seconds(o_.timeout_s);
      Status c = connect_session(s, i);
      if (c) {
        ++active_;
        return;
      }
      refuse(s, c.error().message());
    }
  }

  Status connect_session(Session& s, size_t i) {
    s.fd = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (s.fd.get() < 0) return fail(ErrorKind::kInternal, "socket failed");
    // Commands are small writes each waiting for a reply: Nagle would only
    // delay them.
    int one = 1;
    ::setsockopt(s.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(o_.port));
    ::inet_pton(AF_INET, o_.host.c_str(), &addr.sin_addr);
    if (::connect(s.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
        errno != EINPROGRESS) {
      return fail(ErrorKind::kTemporary,
                  fmt::format("connect to {}:{}: {}", o_.host, o_.port, std::strerror(errno)));
    }
    // A failed connect shows as EPOLLERR/EPOLLHUP; success as the greeting.
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, s.fd.get(), &ev) != 0) {
      return fail(ErrorKind::kInternal, "epoll_ctl failed");
    }
    return ok();
  }

  void refuse(Session& s, std::string why) {
    ++stats_.refused;
    if (stats_.first_error.empty()) stats_.first_error = std::move(why);
    s.fd.reset();
  }

  // Ends slot i's session (closing its socket) and starts the next message.
  void finish(size_t i) {
    sessions_[i].fd.reset();  // close() also takes it out of the epoll set
    --active_;
    start(i);
  }

  void fail_session(size_t i, std::string why) {
    Session& s = sessions_[i];
    if (s.step == Step::kQuit) {  // the message is accepted; a failing QUIT does not matter
      finish(i);
      return;
    }
    ++stats_.refused;
    if (stats_.first_error.empty()) stats_.first_error = std::move(why);
    finish(i);
  }

  bool send(size_t i, std::string data) {
    Session& s = sessions_[i];
    if (!s.out.empty()) {
      s.out += data;
      return true;
    }
    std::string_view rest = data;
    while (!rest.empty()) {
      ssize_t n = ::send(s.fd.get(), rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n > 0) {
        rest.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        s.out.assign(rest);
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.u64 = i;
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, s.fd.get(), &ev);
        return true;
      }
      fail_session(i, fmt::format("send: {}", std::strerror(errno)));
      return false;
    }
    return true;
  }

  bool drain_out(size_t i) {
    Session& s = sessions_[i];
    while (!s.out.empty()) {
      ssize_t n = ::send(s.fd.get(), s.out.data(), s.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        s.out.erase(0, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      fail_session(i, fmt::format("send: {}", std::strerror(errno)));
      return false;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, s.fd.get(), &ev);
    return true;
  }

  void on_ready(uint64_t slot) {
    const size_t i = static_cast<size_t>(slot);
    Session& s = sessions_[i];
    if (s.fd.get() < 0) return;
    if (!s.out.empty() && !drain_out(i)) return;
    char chunk[4096];
    for (;;) {
      ssize_t n = ::recv(s.fd.get(), chunk, sizeof chunk, 0);
      if (n > 0) {
        s.in.append(chunk, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof chunk) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      fail_session(i, n == 0 ? std::string("the server closed the connection")
                             : fmt::format("recv: {}", std::strerror(errno)));
      return;
    }
    // Every complete reply in the buffer, in order.
    for (;;) {
      if (s.fd.get() < 0) return;
      size_t start = 0;
      int code = -1;
      size_t end = 0;
      for (;;) {
        size_t eol = s.in.find("\r\n", start);
        if (eol == std::string::npos) break;
        std::string_view line(s.in.data() + start, eol - start);
        if (line.size() < 3) {
          fail_session(i, fmt::format("malformed reply line '{}'", line));
          return;
        }
        if (s.step == Step::kEhlo && line.size() >= 14 && line.substr(4, 10) == "PIPELINING") {
          s.pipelining = o_.pipelining;
        }
        if (line.size() == 3 || line[3] == ' ') {
          code = std::atoi(std::string(line.substr(0, 3)).c_str());
          end = eol + 2;
          break;
        }
        start = eol + 2;
      }
      if (code < 0) return;  // wait for more
      std::string text = s.in.substr(0, end - 2);
      s.in.erase(0, end);
      if (!on_reply(i, code, text)) return;
    }
  }

  // Moves slot i's session on by one reply; false when the session ended.
  bool on_reply(size_t i, int code, const std::string& text) {
    Session& s = sessions_[i];
    // Where the session's time goes: the wait for each step's reply(ies).
    auto mark = [&](size_t step) {
      auto now = Clock::now();
      stats_.step_ms[step] +=
          std::chrono::duration<double, std::milli>(now - s.step_started).count();
      ++stats_.step_count[step];
      s.step_started = now;
    };
    auto want = [&](int cls, std::string_view step) {
      if (code / 100 == cls) return true;
      fail_session(i, fmt::format("{}: server said '{}'", step, text));
      return false;
    };
    switch (s.step) {
      case Step::kGreeting:
        if (!want(2, "greeting")) return false;
        mark(0);
        s.step = Step::kEhlo;
        return send(i, "EHLO " + o_.helo + "\r\n");
      case Step::kEhlo:
        if (!want(2, "EHLO")) return false;
        mark(1);
        s.step = Step::kMail;
        if (s.pipelining) {
          return send(i, "MAIL FROM:<" + o_.sender + ">\r\nRCPT TO:<" + s.rcpt + ">\r\nDATA\r\n");
        }
        return send(i, "MAIL FROM:<" + o_.sender + ">\r\n");
      case Step::kMail:
        if (!want(2, "MAIL")) return false;
        s.step = Step::kRcpt;
        return s.pipelining || send(i, "RCPT TO:<" + s.rcpt + ">\r\n");
      case Step::kRcpt:
        if (!want(2, "RCPT")) return false;
        s.step = Step::kData;
        return s.pipelining || send(i, "DATA\r\n");
      case Step::kData:
        if (!want(3, "DATA")) return false;
        mark(2);
        s.step = Step::kEndOfData;
        if (!send(i, maker_.make(s.rcpt, s.number))) return false;
        s.sent_dot = Clock::now();
        return true;
      case Step::kEndOfData:
        if (!want(2, "end of data")) return false;
        mark(3);
        stats_.latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - s.sent_dot).count());
        ++stats_.accepted;
        s.step = Step::kQuit;
        if (!send(i, "QUIT\r\n")) return false;
        if (o_.wait_for_quit_reply || !s.out.empty()) return true;
        finish(i);
        return false;
      case Step::kQuit:
        mark(4);
        finish(i);
        return false;
    }
    return false;
  }

  void expire() {
    const auto now = Clock::now();
    for (size_t i = 0; i < sessions_.size(); ++i) {
      if (sessions_[i].fd.get() >= 0 && now > sessions_[i].deadline) {
        fail_session(i, "timed out waiting for the server");
      }
    }
  }

  const Options& o_;
  const std::vector<std::string>& recipients_;
  MessageMaker maker_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<size_t> pick_;
  UniqueFd epoll_;
  std::vector<Session> sessions_;
  unsigned next_ = 0;
  size_t active_ = 0;
  Stats stats_;
};

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
               "                 [--sender ADDR] [--seed N] [--timeout SECONDS]\n"
               "                 [--no-pipelining] [--wait-for-quit-reply] [--sequential]\n"
               "                 [--json]\n");
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
    // Switches without a value: the option they set, and to what.
    static constexpr struct {
      std::string_view name;
      bool Options::*option;
      bool value;
    } kSwitches[] = {{"--json", &Options::json, true},
                     {"--no-pipelining", &Options::pipelining, false},
                     {"--sequential", &Options::sequential, true},
                     {"--wait-for-quit-reply", &Options::wait_for_quit_reply, true}};
    const auto* sw = std::find_if(std::begin(kSwitches), std::end(kSwitches),
                                  [&](const auto& s) { return s.name == a; });
    if (sw != std::end(kSwitches)) {
      o.*(sw->option) = sw->value;
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
  sockaddr_in probe{};
  if (::inet_pton(AF_INET, o.host.c_str(), &probe.sin_addr) != 1) {
    return fail(ErrorKind::kInvalid, "--host must be an IPv4 address: " + o.host);
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

  Load load(o, *recipients);
  const auto wall_start = std::chrono::system_clock::now();
  const auto start = Clock::now();
  if (Status s = load.run(); !s) {
    std::fprintf(stderr, "smtp_load: %s\n", s.error().message().c_str());
    return 2;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  Stats& st = load.stats();
  std::vector<double>& all = st.latencies_ms;
  std::sort(all.begin(), all.end());
  const double p50 = percentile(all, 50), p99 = percentile(all, 99);
  const double max = all.empty() ? 0 : all.back();
  const double start_epoch = std::chrono::duration<double>(wall_start.time_since_epoch()).count();
  if (o.json) {
    // first_error comes from a server reply: keep only printable ASCII
    // without quotes or backslashes, so the JSON stays valid.
    std::string clean;
    for (char ch : st.first_error) {
      clean += (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? ch : ' ';
    }
    std::string steps;
    for (size_t k = 0; k < kSteps; ++k) {
      steps += fmt::format("{}\"{}\": {:.3f}", k ? ", " : "", kStepNames[k],
                           st.step_count[k] ? st.step_ms[k] / st.step_count[k] : 0.0);
    }
    std::printf(
        "{\"messages\": %u, \"size\": %zu, \"concurrency\": %u, \"pipelining\": %s, "
        "\"accepted\": %u, \"refused\": %u, \"start_epoch\": %.6f, \"elapsed_s\": %.6f, "
        "\"accept_rate\": %.2f, \"data_p50_ms\": %.3f, \"data_p99_ms\": %.3f, "
        "\"data_max_ms\": %.3f, \"step_mean_ms\": {%s}, \"first_error\": \"%s\"}\n",
        o.messages, o.size, o.concurrency, o.pipelining ? "true" : "false", st.accepted, st.refused,
        start_epoch, elapsed, st.accepted / elapsed, p50, p99, max, steps.c_str(), clean.c_str());
  } else {
    std::printf("%u messages of %zu bytes over %u sessions in %.2f s%s\n", o.messages, o.size,
                o.concurrency, elapsed, o.pipelining ? "" : " (no pipelining)");
    std::printf("accepted %u, refused %u (%.1f accepted/s)\n", st.accepted, st.refused,
                st.accepted / elapsed);
    std::printf("DATA reply latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", p50, p99, max);
    if (!st.first_error.empty()) std::printf("first error: %s\n", st.first_error.c_str());
  }
  return st.refused == 0 ? 0 : 1;
}

}  // namespace
}  // namespace hm::bench

int main(int argc, char** argv) { return hm::bench::run(argc, argv); }
