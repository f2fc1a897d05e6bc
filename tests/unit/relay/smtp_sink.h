#pragma once
// Postfix's smtp-sink (Debian's postfix package) on 127.0.0.1, a port of
// its own, for the relay's tests: started in the constructor (ready once
// it accepts), stopped in the destructor; what it received is in dump().

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/asio.h"

namespace hm::relay::test {

namespace asio = net::asio;
namespace fs = std::filesystem;

inline constexpr const char* kSink = "/usr/sbin/smtp-sink";

inline uint16_t free_port() {
  asio::io_context io;
  net::tcp::acceptor acceptor(io, net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

class SmtpSink {
 public:
  // extra: smtp-sink options, e.g. {"-r", "RCPT"} (4xx to RCPT).
  explicit SmtpSink(std::vector<std::string> extra = {}, uint16_t port = 0) {
    std::string pattern = (fs::temp_directory_path() / "hm_sink_test.XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    // smtp-sink drops to nobody (it must, run as root) before it writes.
    fs::permissions(dir_, fs::perms::all);
    port_ = port != 0 ? port : free_port();
    std::vector<std::string> args = {kSink, "-u", "nobody", "-D", (dir_ / "dump").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("127.0.0.1:" + std::to_string(port_));
    args.push_back("10");
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(kSink, argv.data());
      _exit(127);
    }
    // Ready once it accepts.
    for (int i = 0; i < 100; ++i) {
      asio::io_context io;
      net::tcp::socket s(io);
      boost::system::error_code error;
      s.connect(net::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), error);
      if (!error) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  ~SmtpSink() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  uint16_t port() const { return port_; }
  std::string dump() const {
    std::ifstream in(dir_ / "dump");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  fs::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace hm::relay::test
