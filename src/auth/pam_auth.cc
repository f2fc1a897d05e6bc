#include "auth/pam_auth.h"

#include <security/pam_appl.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <openssl/crypto.h>

namespace hm::auth {
namespace {

struct ConversationData {
  std::string user;
  std::string password;
};

// Answers PAM's prompts: the password for a hidden prompt, the user name for
// a visible one (a module asking "login:"), nothing for informational text.
// PAM frees the answers with free(), so they are malloc'ed.
int converse(int count, const struct pam_message** messages, struct pam_response** responses,
             void* app_data) {
  if (count <= 0 || messages == nullptr || responses == nullptr || app_data == nullptr) {
    return PAM_CONV_ERR;
  }
  const auto* data = static_cast<const ConversationData*>(app_data);
  auto* answers =
      static_cast<pam_response*>(std::calloc(static_cast<size_t>(count), sizeof(pam_response)));
  if (answers == nullptr) return PAM_BUF_ERR;

  auto release = [&](int filled) {
    for (int j = 0; j < filled; ++j) {
      if (answers[j].resp != nullptr) {
        OPENSSL_cleanse(answers[j].resp, std::strlen(answers[j].resp));
        std::free(answers[j].resp);
      }
    }
    std::free(answers);
  };
  for (int i = 0; i < count; ++i) {
    const char* text = nullptr;
    switch (messages[i]->msg_style) {
      case PAM_PROMPT_ECHO_OFF: text = data->password.c_str(); break;
      case PAM_PROMPT_ECHO_ON: text = data->user.c_str(); break;
      case PAM_ERROR_MSG:
      case PAM_TEXT_INFO: continue;
      default: release(i); return PAM_CONV_ERR;
    }
    answers[i].resp = strdup(text);
    if (answers[i].resp == nullptr) {
      release(i);
      return PAM_BUF_ERR;
    }
  }
  *responses = answers;
  return PAM_SUCCESS;
}

// Registered as PAM_FAIL_DELAY so that modules do not sleep in our thread
// (see the header).
void no_fail_delay(int /*status*/, unsigned /*usec*/, void* /*app_data*/) {}

class PamHandle {
 public:
  explicit PamHandle(pam_handle_t* handle) : handle_(handle) {}
  PamHandle(const PamHandle&) = delete;
  PamHandle& operator=(const PamHandle&) = delete;
  ~PamHandle() {
    if (handle_ != nullptr) pam_end(handle_, last_status_);
  }
  pam_handle_t* get() const { return handle_; }
  int track(int status) {
    last_status_ = status;
    return status;
  }

 private:
  pam_handle_t* handle_;
  int last_status_ = PAM_SUCCESS;
};

bool is_refusal(int status) {
  switch (status) {
    case PAM_AUTH_ERR:
    case PAM_USER_UNKNOWN:
    case PAM_MAXTRIES:
    case PAM_CRED_INSUFFICIENT:
    case PAM_PERM_DENIED:
    case PAM_ACCT_EXPIRED:
    case PAM_NEW_AUTHTOK_REQD:
    case PAM_AUTHTOK_EXPIRED: return true;
    default: return false;
  }
}

tl::unexpected<Error> pam_failure(pam_handle_t* handle, int status, std::string_view step,
                                  std::string_view service) {
  return fail(ErrorKind::kTemporary,
              "PAM could not check the password now (service '" + std::string(service) +
                  "'); see the system log for the PAM module's reason",
              std::string(step) + ": " + pam_strerror(handle, status));
}

bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

}  // namespace

Result<bool> pam_check_password(std::string_view service, std::string_view user,
                                std::string_view password) {
  if (has_nul(service) || has_nul(user) || has_nul(password)) {
    return fail(ErrorKind::kInvalid,
                "a PAM service, user name or password cannot contain a NUL byte");
  }
  if (service.empty() || user.empty()) {
    return fail(ErrorKind::kInvalid, "a PAM check needs a service name and a user name");
  }
  ConversationData data{std::string(user), std::string(password)};
  const pam_conv conversation{&converse, &data};
  pam_handle_t* raw = nullptr;
  std::string service_name(service);
  int status = pam_start(service_name.c_str(), data.user.c_str(), &conversation, &raw);
  if (status != PAM_SUCCESS) {
    if (raw != nullptr) pam_end(raw, status);
    OPENSSL_cleanse(data.password.data(), data.password.size());
    return fail(ErrorKind::kTemporary, "PAM could not start for service '" + service_name + "'",
                pam_strerror(nullptr, status));
  }
  // Scope so that pam_end runs before the password copy is wiped.
  Result<bool> result = [&]() -> Result<bool> {
    PamHandle handle(raw);
    handle.track(
        pam_set_item(handle.get(), PAM_FAIL_DELAY, reinterpret_cast<const void*>(&no_fail_delay)));
    const int flags = PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK;
    int rc = handle.track(pam_authenticate(handle.get(), flags));
    if (is_refusal(rc)) return false;
    if (rc != PAM_SUCCESS) return pam_failure(handle.get(), rc, "pam_authenticate", service);
    rc = handle.track(pam_acct_mgmt(handle.get(), flags));
    if (is_refusal(rc)) return false;
    if (rc != PAM_SUCCESS) return pam_failure(handle.get(), rc, "pam_acct_mgmt", service);
    return true;
  }();
  OPENSSL_cleanse(data.password.data(), data.password.size());
  return result;
}

}  // namespace hm::auth
