#pragma once
// Who is acting: the result of a login, and the subject of every
// authorization decision (admin/authorizer.h). Its roles are a reading taken
// at one moment: the administration re-reads them for every operation
// (admin/admin_service.h) instead of keeping a login's.

#include <algorithm>
#include <string>
#include <vector>

namespace hm::directory {

struct Principal {
  enum class Kind {
    kSuperuser,  // [admin] superuser: administers everything
    kVirtual,    // a virtual account (courierMailAccount)
    kLocal,      // a shell account of this machine, checked with PAM
  };
  Kind kind = Kind::kVirtual;
  std::string name;                        // superuser name, account address, or user name
  std::vector<std::string> postmaster_of;  // domains whose postmaster role lists this account

  bool is_superuser() const { return kind == Kind::kSuperuser; }
  bool is_postmaster_of(const std::string& domain) const {
    return std::find(postmaster_of.begin(), postmaster_of.end(), domain) != postmaster_of.end();
  }
};

}  // namespace hm::directory
