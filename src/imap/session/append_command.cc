// APPEND (RFC 3501 6.3.11) with MULTIAPPEND (RFC 3502: all or none),
// UIDPLUS's [APPENDUID] (RFC 4315), [TRYCREATE] for a missing mailbox,
// [OVERQUOTA] (RFC 9208) and APPENDLIMIT (RFC 7889: the reader refuses a
// larger literal with [TOOBIG] before the client sends it).

#include "imap/message/flag_names.h"
#include "imap/proto/sequence_set.h"
#include "imap/session/session.h"

namespace hm::imap {

asio::awaitable<void> Session::do_append(proto::Command& c) {
  auto& args = std::get<proto::AppendArgs>(c.args);
  auto folder = folder_of(c, args.mailbox);
  if (!folder) co_return;
  std::vector<store::AppendMessage> messages;
  messages.reserve(args.messages.size());
  for (proto::AppendMessage& m : args.messages) {
    auto flags = parse_flags(m.flags);
    if (!flags) {
      bad(c, flags.error().message());
      co_return;
    }
    if (m.message.empty()) {
      no(c, "CANNOT", "Empty message");
      co_return;
    }
    store::AppendMessage a;
    a.text = std::move(m.message);  // the literal is not copied again
    a.flags = flags->flags;
    a.keywords = std::move(flags->keywords);
    a.internal_date = m.internal_date;
    messages.push_back(std::move(a));
  }
  auto result = co_await blocking([&] { return boxes_->append(*folder, std::move(messages)); });
  if (!result) {
    store_error(c, result.error(), /*target=*/true);
    co_return;
  }
  ok(c, "APPEND completed",
     "APPENDUID " + std::to_string(result->uid_validity) + " " +
         proto::format_numbers(result->target));
}

}  // namespace hm::imap
