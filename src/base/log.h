#pragma once
// Logging: one line per event, to stderr (default, for the CLI and for
// running under systemd, which adds its own timestamps) or to syslog (mail
// facility, as Postfix and Dovecot do). Thread-safe.

#include <fmt/format.h>

#include <string_view>

namespace hm::log {

enum class Level { kDebug = 0, kInfo, kWarning, kError };

enum class Sink { kStderr, kSyslog };

// Sets where lines go and the lowest level written. Call once at start-up.
void configure(Sink sink, Level min_level, std::string_view ident = "hostmail");
Level min_level();
void write(Level level, std::string_view line);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (min_level() <= Level::kDebug)
    write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (min_level() <= Level::kInfo) write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
  if (min_level() <= Level::kWarning)
    write(Level::kWarning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace hm::log
