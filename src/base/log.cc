#include "base/log.h"

#include <syslog.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

namespace hm::log {
namespace {

std::atomic<Level> g_min_level{Level::kInfo};
std::atomic<Sink> g_sink{Sink::kStderr};
std::mutex g_mutex;
std::string g_ident = "hostmail";  // openlog keeps the pointer: must outlive it

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "info";
}

int syslog_priority(Level level) {
  switch (level) {
    case Level::kDebug: return LOG_DEBUG;
    case Level::kInfo: return LOG_INFO;
    case Level::kWarning: return LOG_WARNING;
    case Level::kError: return LOG_ERR;
  }
  return LOG_INFO;
}

}  // namespace

void configure(Sink sink, Level min, std::string_view ident) {
  std::lock_guard lock(g_mutex);
  g_min_level = min;
  g_sink = sink;
  g_ident = std::string(ident);
  if (sink == Sink::kSyslog) openlog(g_ident.c_str(), LOG_PID | LOG_NDELAY, LOG_MAIL);
}

Level min_level() { return g_min_level.load(std::memory_order_relaxed); }

void write(Level level, std::string_view line) {
  if (g_sink == Sink::kSyslog) {
    syslog(syslog_priority(level), "%.*s", static_cast<int>(line.size()), line.data());
    return;
  }
  std::lock_guard lock(g_mutex);
  std::fprintf(stderr, "%s: %.*s: %.*s\n", g_ident.c_str(),
               static_cast<int>(level_name(level).size()), level_name(level).data(),
               static_cast<int>(line.size()), line.data());
}

}  // namespace hm::log
