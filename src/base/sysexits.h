#pragma once
// The exit statuses of sysexits(3): what an MTA reads from a delivery agent
// (`hostmail deliver`, a mailbox command), a supervisor from the daemon, and
// a script from the CLI. One table for all of hostmail.

#include <string_view>

namespace hm::sysexits {

inline constexpr int kOk = 0;
inline constexpr int kUsage = 64;
inline constexpr int kDataErr = 65;
inline constexpr int kNoInput = 66;
inline constexpr int kNoUser = 67;
inline constexpr int kNoHost = 68;
inline constexpr int kUnavailable = 69;
inline constexpr int kSoftware = 70;
inline constexpr int kOsErr = 71;
inline constexpr int kOsFile = 72;
inline constexpr int kCantCreat = 73;
inline constexpr int kIoErr = 74;
inline constexpr int kTempFail = 75;
inline constexpr int kProtocol = 76;
inline constexpr int kNoPerm = 77;
inline constexpr int kConfig = 78;

// "EX_TEMPFAIL" for 75 and so on; "" for a status outside the table.
constexpr std::string_view name(int status) {
  switch (status) {
    case kUsage: return "EX_USAGE";
    case kDataErr: return "EX_DATAERR";
    case kNoInput: return "EX_NOINPUT";
    case kNoUser: return "EX_NOUSER";
    case kNoHost: return "EX_NOHOST";
    case kUnavailable: return "EX_UNAVAILABLE";
    case kSoftware: return "EX_SOFTWARE";
    case kOsErr: return "EX_OSERR";
    case kOsFile: return "EX_OSFILE";
    case kCantCreat: return "EX_CANTCREAT";
    case kIoErr: return "EX_IOERR";
    case kTempFail: return "EX_TEMPFAIL";
    case kProtocol: return "EX_PROTOCOL";
    case kNoPerm: return "EX_NOPERM";
    case kConfig: return "EX_CONFIG";
    default: return "";
  }
}

}  // namespace hm::sysexits
