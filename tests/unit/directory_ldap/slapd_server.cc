#include "slapd_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "directory/ldap/ldap_connection.h"

namespace hm::directory::ldap::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr int kPortAttempts = 5;

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string random_password() {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 20; ++i) out += "abcdefghijklmnopqrstuvwxyz0123456789"[rd() % 36];
  return out;
}

}  // namespace

Result<std::unique_ptr<SlapdServer>> SlapdServer::start() {
  if (::access(kSlapdPath, X_OK) != 0) {
    return fail(ErrorKind::kNotFound, std::string(kSlapdPath) +
                                          " is not installed; run scripts/setup-deps.sh (as root) "
                                          "to install slapd and ldap-utils");
  }
  std::unique_ptr<SlapdServer> s(new SlapdServer());
  std::string pattern = (std::filesystem::temp_directory_path() / "hm-slapd-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail(ErrorKind::kInternal, "mkdtemp " + pattern + " failed");
  }
  s->dir_ = pattern;
  std::filesystem::create_directory(s->dir_ / "db");
  s->root_password_ = random_password();
  HM_TRY(s->write_config());
  for (int i = 0; i < kPortAttempts; ++i) {
    auto launched = s->launch(free_port());
    if (!launched) return fail(std::move(launched).error());
    if (!*launched) continue;
    // The suffix and the hosting base, as the seed has them.
    auto c = Connection::open(s->uri_, std::chrono::milliseconds(5000));
    if (!c) return fail(std::move(c).error());
    HM_TRY((*c)->bind({kRootDn, s->root_password_}));
    HM_TRY((*c)->add(kSuffix, {{"objectClass", {"top", "dcObject", "organization"}},
                               {"dc", {"myhosting"}},
                               {"o", {"myhosting"}}}));
    HM_TRY((*c)->add(kBase, {{"objectClass", {"top", "organization"}}, {"o", {"hosting"}}}));
    return s;
  }
  return fail(ErrorKind::kTemporary, "slapd found no free port on 127.0.0.1");
}

SlapdServer::~SlapdServer() {
  stop();
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

Status SlapdServer::write_config() {
  const std::string schema_dir = "/etc/ldap/schema/";
  std::ofstream out(dir_ / "slapd.conf");
  for (const char* name : {"core", "cosine", "nis", "inetorgperson", "misc"}) {
    out << "include " << schema_dir << name << ".schema\n";
  }
  out << "include " << HM_TEST_DATA_DIR << "/../../docs/ldap/courier.schema\n";
  out << "pidfile " << (dir_ / "slapd.pid").string() << "\n";
  out << "argsfile " << (dir_ / "slapd.args").string() << "\n";
  out << "modulepath /usr/lib/ldap\nmoduleload back_mdb\n";
  out << "database mdb\n";
  out << "suffix \"" << kSuffix << "\"\n";
  out << "rootdn \"" << kRootDn << "\"\n";
  out << "rootpw " << root_password_ << "\n";
  out << "directory " << (dir_ / "db").string() << "\n";
  out << "maxsize 268435456\n";
  out << "index mail eq,sub\nindex o,cn,objectClass,roleOccupant,description eq\n";
  // The access rules of docs/ldap/slapd.conf.example: the rootdn (the
  // superuser and hostmail's service DN here) bypasses them.
  const std::string domain = std::string("dn.regex=\"^(.+,)?o=([^,]+),") + kBase + "$\"";
  const std::string postmaster =
      std::string("set.expand=\"[cn=postmaster,o=$2,") + kBase + "]/roleOccupant & user\"";
  out << "access to " << domain << " attrs=userPassword\n"
      << "  by self write\n  by " << postmaster << " write\n  by anonymous auth\n  by * none\n"
      << "access to attrs=userPassword\n  by self write\n  by anonymous auth\n  by * none\n"
      << "access to " << domain << " attrs=mailbox,homeDirectory,uidNumber,gidNumber\n  by "
      << postmaster << " =arscd\n  by * read\n"
      << "access to " << domain << "\n  by " << postmaster << " write\n  by * read\n"
      << "access to *\n  by * read\n";
  out.close();
  if (!out) return fail(ErrorKind::kInternal, "cannot write " + (dir_ / "slapd.conf").string());
  return ok();
}

Result<bool> SlapdServer::launch(int port) {
  port_ = port;
  uri_ = "ldap://127.0.0.1:" + std::to_string(port) + "/";
  const std::string log = (dir_ / "slapd.log").string();
  const std::string conf = (dir_ / "slapd.conf").string();
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return fail(ErrorKind::kInternal, "fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::execl(kSlapdPath, kSlapdPath, "-f", conf.c_str(), "-h", uri_.c_str(), "-d", "none",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::string output = read_file(log);
      if (output.find("errno=98") != std::string::npos ||
          output.find("Address already in use") != std::string::npos) {
        return false;
      }
      return fail(ErrorKind::kInternal, "slapd exited at start:\n" + output);
    }
    auto c = Connection::open(uri_, std::chrono::milliseconds(1000));
    if (c) {
      auto found = (*c)->search("", Scope::kBase, "(objectClass=*)", {"namingContexts"});
      if (found) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string output = read_file(log);
  stop();
  return fail(ErrorKind::kInternal, "slapd did not answer on " + uri_ + ":\n" + output);
}

void SlapdServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 1000; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

Status SlapdServer::restart() {
  stop();
  // The old socket may linger briefly; slapd sets SO_REUSEADDR, so a few
  // attempts are enough.
  for (int i = 0; i < 20; ++i) {
    auto launched = launch(port_);
    if (!launched) return fail(std::move(launched).error());
    if (*launched) return ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return fail(ErrorKind::kTemporary,
              "slapd could not bind port " + std::to_string(port_) + " again");
}

}  // namespace hm::directory::ldap::testing
