// The TRANSACTION state (RFC 1939 5, TOP and UIDL 7): over the session's
// snapshot of the INBOX (maildrop.h). Only RETR and TOP read the store;
// the lists come from the snapshot.

#include "base/log.h"
#include "pop3/session.h"

namespace hm::pop3 {

bool Session::check_message(uint32_t n) {
  if (drop_->deleted(n)) {
    err("", "Message " + std::to_string(n) + " is already deleted");
    return false;
  }
  if (!drop_->exists(n)) {
    err("", "No message " + std::to_string(n) + " (the maildrop has " +
                std::to_string(drop_->count()) + ")");
    return false;
  }
  return true;
}

void Session::do_stat() {
  ok(std::to_string(drop_->live_count()) + " " + std::to_string(drop_->live_size()));
}

void Session::do_list(const Command& c) {
  if (c.message) {
    if (!check_message(*c.message)) return;
    ok(std::to_string(*c.message) + " " + std::to_string(drop_->size(*c.message)));
    return;
  }
  std::string out = "+OK " + std::to_string(drop_->live_count()) + " messages (" +
                    std::to_string(drop_->live_size()) + " octets)\r\n";
  for (uint32_t n = 1; n <= drop_->count(); ++n) {
    if (drop_->exists(n)) out += std::to_string(n) + " " + std::to_string(drop_->size(n)) + "\r\n";
  }
  out += ".\r\n";
  conn_.write(out);
}

void Session::do_uidl(const Command& c) {
  if (c.message) {
    if (!check_message(*c.message)) return;
    ok(std::to_string(*c.message) + " " + drop_->uidl(*c.message));
    return;
  }
  std::string out = "+OK Unique-ID listing follows\r\n";
  for (uint32_t n = 1; n <= drop_->count(); ++n) {
    if (drop_->exists(n)) out += std::to_string(n) + " " + drop_->uidl(n) + "\r\n";
  }
  out += ".\r\n";
  conn_.write(out);
}

asio::awaitable<void> Session::do_retr(const Command& c, bool top) {
  const uint32_t n = *c.message;
  if (!check_message(n)) co_return;
  auto text = co_await blocking(
      [this, n, top, lines = c.lines] { return top ? drop_->top(n, lines) : drop_->retrieve(n); });
  if (!text) {
    const Error& e = text.error();
    if (e.kind() == ErrorKind::kNotFound) {
      err("", "Message " + std::to_string(n) + " was removed by another session", false);
    } else {
      log::warning("pop3 {} [{}] {} {}: {}", user_, peer_ip_, top ? "TOP" : "RETR", n,
                   e.describe());
      err("SYS/TEMP", "The message cannot be read now; try again later", false);
    }
    co_return;
  }
  std::string out = "+OK " + std::to_string(drop_->size(n)) + " octets\r\n";
  out += *text;
  conn_.write(out);
}

void Session::do_dele(const Command& c) {
  if (!check_message(*c.message)) return;
  drop_->mark_deleted(*c.message);
  ok("Message " + std::to_string(*c.message) + " deleted (at QUIT)");
}

void Session::do_rset() {
  drop_->reset();
  ok(std::to_string(drop_->count()) + " messages, none deleted");
}

}  // namespace hm::pop3
