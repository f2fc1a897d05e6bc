#include "imap/session/imap_service.h"

#include "imap/session/session.h"
#include "net/pooled_service.h"

namespace hm::imap {

net::ServicePtr make_imap_service(ImapSettings settings, std::shared_ptr<net::TlsContext> starttls,
                                  directory::AsyncDirectory& directory,
                                  AccountOpener open_account) {
  static constexpr net::DoorWords kWords{"imap", "* BYE Too many connections, try again later\r\n",
                                         "* BYE Too many connections from your address\r\n"};
  return net::ServicePtr(new net::PooledService<Session, SessionContext>(
      kWords, std::move(settings), std::move(starttls), directory, std::move(open_account)));
}

}  // namespace hm::imap
