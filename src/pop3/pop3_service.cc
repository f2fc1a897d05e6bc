#include "pop3/pop3_service.h"

#include "net/pooled_service.h"
#include "pop3/session.h"

namespace hm::pop3 {

net::ServicePtr make_pop3_service(Pop3Settings settings, std::shared_ptr<net::TlsContext> starttls,
                                  directory::AsyncDirectory& directory,
                                  mail_access::AccountOpener open_account) {
  static constexpr net::DoorWords kWords{
      "pop3", "-ERR [SYS/TEMP] Too many connections, try again later\r\n",
      "-ERR [SYS/TEMP] Too many connections from your address\r\n"};
  return net::ServicePtr(new net::PooledService<Session, SessionContext>(
      kWords, std::move(settings), std::move(starttls), directory, std::move(open_account)));
}

}  // namespace hm::pop3
