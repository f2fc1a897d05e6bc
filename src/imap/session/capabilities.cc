#include "imap/session/capabilities.h"

namespace hm::imap {

std::string capabilities(const CapabilityState& s) {
  // What every state offers: what a client needs to know before it logs in
  // (LITERAL+ and SASL-IR shape its login; ID and ENABLE may come first).
  std::string caps = "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE";
  if (!s.authenticated) {
    if (s.starttls_offered) caps += " STARTTLS";
    // RFC 3501 6.2.3: LOGINDISABLED says LOGIN will be refused; no
    // mechanism is listed either, since AUTHENTICATE would be refused too.
    caps += s.login_allowed ? " AUTH=PLAIN AUTH=LOGIN" : " LOGINDISABLED";
    return caps;
  }
  caps +=
      " NAMESPACE UNSELECT UIDPLUS MOVE MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS"
      " SPECIAL-USE CREATE-SPECIAL-USE ESEARCH QUOTA QUOTA=RES-STORAGE"
      " STATUS=SIZE CONDSTORE QRESYNC";
  caps += " APPENDLIMIT=" + std::to_string(s.append_limit);
  return caps;
}

}  // namespace hm::imap
