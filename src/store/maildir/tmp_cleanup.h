#pragma once
// Removes what a crash left in a Maildir's tmp/: a delivery that died
// between writing its file there and moving it to new/ leaves a file no
// reader ever shows. The Maildir convention removes such files once they
// have not been touched for 36 hours (a delivery in progress is never that
// old).
//
// When: deliver() asks after each successful delivery; the clean runs the
// first time this process delivers to a Maildir, and then at most once a
// day for it. A Maildir nobody delivers to keeps its leftovers until the
// next delivery, which is when they start to matter (they count against
// nothing, but they are the Maildir's owner's disk space).
//
// Safety: tmp/ is opened without following a link, only regular files are
// removed (unlinkat in that folder: a name there cannot reach elsewhere), and
// a file counts as stale only when its access, modification and change times
// are all older than the limit.
//
// Thread-safe.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace hm::store::maildir {

inline constexpr std::chrono::hours kTmpStaleAfter{36};
inline constexpr std::chrono::hours kTmpCleanEvery{24};

// Removes the stale regular files in `<maildir>/tmp` as of `now`; returns
// how many. Errors (no tmp/, a file that went meanwhile) are skipped.
size_t clean_tmp(const std::string& maildir, std::chrono::system_clock::time_point now);

class TmpCleanup {
 public:
  using Clock = std::chrono::system_clock::time_point (*)();

  // Cleans `maildir` if it is due (first time, or kTmpCleanEvery since the
  // last clean); returns how many files it removed.
  size_t after_delivery(const std::string& maildir);

  // The time; tests set another (restore with real_clock()).
  Clock now = real_clock();
  static Clock real_clock() {
    return [] { return std::chrono::system_clock::now(); };
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::chrono::system_clock::time_point> last_clean_;
};

// The one deliver() uses.
TmpCleanup& tmp_cleanup();

}  // namespace hm::store::maildir
