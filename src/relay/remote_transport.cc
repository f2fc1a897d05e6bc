#include "relay/remote_transport.h"

#include <fmt/format.h>

#include <map>

#include "base/log.h"
#include "base/strings.h"
#include "mail/address_syntax.h"
#include "net/asio.h"
#include "relay/dns_client.h"
#include "relay/resolve.h"
#include "relay/smtp_client.h"

// g++ 12's false -Wmismatched-new-delete on Asio's coroutine frames (GCC
// bug 109224; see smtp_client.cc).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace hm::relay {
namespace {

using delivery::TransportOutcome;

TransportOutcome outcome(TransportOutcome::Kind kind, std::string text) {
  TransportOutcome o;
  o.kind = kind;
  o.text = std::move(text);
  return o;
}

bool has_eight_bit(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return (c & 0x80) != 0; });
}

// The recipients of one message that share a next hop.
struct Group {
  NextHop hop;
  std::vector<size_t> indexes;  // into the recipients given to deliver()
  std::vector<std::string> addresses;
};

struct Sending {
  std::string_view sender;
  std::string_view prefix;  // DKIM-Signature, or empty
  std::string_view text;
  bool eight_bit = false;
  bool utf8 = false;
};

// Connections kept open after a message, for the next one to the same
// address (RFC 5321 allows any number of transactions per session): the
// queue runner hands the transport one message at a time, often several
// for one destination in a row. Kept at most kIdleLimit, at most kMaxIdle.
class ConnectionCache {
 public:
  static constexpr auto kIdleLimit = std::chrono::seconds(10);
  static constexpr size_t kMaxIdle = 20;

  std::unique_ptr<SmtpClient> take(const std::string& key) {
    auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    std::unique_ptr<SmtpClient> client = std::move(it->second.client);
    const bool fresh = std::chrono::steady_clock::now() - it->second.since < kIdleLimit;
    idle_.erase(it);
    return fresh ? std::move(client) : nullptr;
  }

  void give(const std::string& key, std::unique_ptr<SmtpClient> client) {
    if (idle_.size() >= kMaxIdle && !idle_.contains(key)) return;  // closed as it goes
    idle_[key] = Idle{std::move(client), std::chrono::steady_clock::now()};
  }

  // The connections idle for too long, to be said goodbye to.
  std::vector<std::unique_ptr<SmtpClient>> take_expired() {
    std::vector<std::unique_ptr<SmtpClient>> out;
    const auto now = std::chrono::steady_clock::now();
    for (auto it = idle_.begin(); it != idle_.end();) {
      if (now - it->second.since >= kIdleLimit) {
        out.push_back(std::move(it->second.client));
        it = idle_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

 private:
  struct Idle {
    std::unique_ptr<SmtpClient> client;
    std::chrono::steady_clock::time_point since;
  };
  std::map<std::string, Idle> idle_;
};

asio::awaitable<std::vector<TransportOutcome>> deliver_group(
    DnsClient& dns, const Group& group, const Sending& sending, const RemoteOptions& options,
    asio::ssl::context* tls, ConnectionCache& connections, std::mt19937_64& random) {
  const size_t n = group.addresses.size();
  Result<std::vector<Target>> targets = co_await resolve(dns, group.hop, options.smtp_port, random);
  if (!targets) {
    const Error& e = targets.error();
    if (!e.detail().empty()) log::info("relay: {}: {}", to_string(group.hop), e.describe());
    co_return std::vector<TransportOutcome>(
        n,
        outcome(e.temporary() ? TransportOutcome::kLater : TransportOutcome::kNever, e.message()));
  }
  ClientOptions client_options{options.helo_name, {}};
  client_options.tls_context = tls;
  auto policy = options.tls_policy.find(group.hop.host);
  client_options.tls = policy != options.tls_policy.end() ? policy->second : options.tls;
  if (options.reply_timeout.count() > 0) {
    ClientTimeouts& t = client_options.timeouts;
    t.greeting = t.command = t.data_init = t.data_block = t.data_end = options.reply_timeout;
  }
  OutgoingMessage message{sending.sender, group.addresses,   sending.prefix,
                          sending.text,   sending.eight_bit, sending.utf8};
  std::string last_error = "4.4.1 no mail server could be reached";
  // In order until one server takes the transaction (RFC 5321 5.1): one
  // that cannot be reached, refuses to talk, or drops the connection
  // passes the mail on to the next.
  for (const Target& target : *targets) {
    const std::string key =
        fmt::format("{} {} {}", target.address, target.port, static_cast<int>(client_options.tls));
    // A connection kept from an earlier message first; one that the server
    // closed meanwhile fails at once, and a new one is made.
    std::unique_ptr<SmtpClient> client = connections.take(key);
    Result<std::vector<RecipientResult>> results;
    bool sent = false;  // a transaction was tried (else last_error says why not)
    for (;;) {
      const bool reused = client != nullptr;
      if (!reused) {
        Result<std::unique_ptr<net::Stream>> stream =
            co_await connect_tcp(target.address, target.port, options.connect_timeout);
        if (!stream) {
          last_error = stream.error().message();
          log::info("relay: {} [{}]:{}: {}", target.host, target.address, target.port, last_error);
          break;
        }
        client_options.server_name = target.host;
        client = std::make_unique<SmtpClient>(std::move(*stream), client_options);
        Status opened = co_await client->open();
        if (!opened) {
          last_error = fmt::format("{} (from {} [{}])", opened.error().message(), target.host,
                                   target.address);
          log::info("relay: {}", last_error);
          break;
        }
      }
      results = co_await client->send(message);
      sent = true;
      if (!results && reused && results.error().temporary()) {
        client.reset();
        continue;
      }
      break;
    }
    if (!sent) continue;
    if (!results) {
      last_error =
          fmt::format("{} (with {} [{}])", results.error().message(), target.host, target.address);
      log::info("relay: {}", last_error);
      if (!results.error().temporary()) {
        co_return std::vector<TransportOutcome>(n, outcome(TransportOutcome::kNever, last_error));
      }
      continue;
    }
    if (client->usable()) connections.give(key, std::move(client));
    std::vector<TransportOutcome> outcomes;
    for (const RecipientResult& r : *results) {
      if (r.delivered()) {
        outcomes.push_back(outcome(TransportOutcome::kDone, ""));
        continue;
      }
      // The remote server's own words go to the queue and the DSN, its
      // codes first (the bounce reads the status from them).
      std::string text = r.local ? r.reply.text()
                                 : fmt::format("{} (in reply from {} [{}])", r.reply.text(),
                                               target.host, target.address);
      outcomes.push_back(
          outcome(r.reply.permanent() ? TransportOutcome::kNever : TransportOutcome::kLater, text));
    }
    co_return outcomes;
  }
  co_return std::vector<TransportOutcome>(n, outcome(TransportOutcome::kLater, last_error));
}

}  // namespace

// The loop every connection lives on (kept between calls, for the cached
// connections), and the cache.
struct RemoteTransport::Connections {
  asio::io_context io;
  ConnectionCache cache;
};

RemoteTransport::RemoteTransport(Router router, RemoteOptions options, const dkim::KeyStore* keys)
    : router_(std::move(router)),
      options_(std::move(options)),
      keys_(keys),
      random_(std::random_device{}()),
      connections_(std::make_unique<Connections>()) {
  // One client context for every connection: the trusted CAs are read once.
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code error;
  if (options_.tls_ca_file.empty()) {
    context->set_default_verify_paths(error);
  } else {
    context->load_verify_file(options_.tls_ca_file, error);
  }
  if (error) {
    log::warning("relay: no trusted CAs for TLS ({}): \"verify\" destinations will fail",
                 error.message());
  }
  tls_ = std::move(context);
}

RemoteTransport::~RemoteTransport() = default;

std::vector<TransportOutcome> RemoteTransport::deliver(
    const delivery::QueuedMessage& message,
    const std::vector<const queue::QueuedRecipient*>& recipients,
    const delivery::TransportContext& /*context*/) {
  std::vector<TransportOutcome> outcomes(recipients.size());
  std::map<std::string, Group> groups;
  bool utf8 = has_eight_bit(message.sender);
  for (size_t i = 0; i < recipients.size(); ++i) {
    const queue::QueuedRecipient& r = *recipients[i];
    utf8 = utf8 || has_eight_bit(r.address);
    // The route's next hop is the recipient's domain, or an explicit
    // "[host]:port" written when the mail was queued.
    const std::string& queued_hop = r.route.next_hop;
    NextHop hop;
    if (!queued_hop.empty() && queued_hop.front() == '[') {
      Result<NextHop> parsed = parse_relayhost(queued_hop);
      if (!parsed) {
        outcomes[i] = outcome(TransportOutcome::kNever, "5.3.5 the queued next hop is not valid: " +
                                                            parsed.error().message());
        continue;
      }
      hop = std::move(*parsed);
    } else {
      hop = router_.route(queued_hop.empty() ? mail::domain_of(r.address) : queued_hop);
    }
    if (hop.kind == NextHop::kDiscard) {
      outcomes[i] = outcome(TransportOutcome::kDone, "");
      log::info("relay: {} to {} discarded by the transport map", message.id, r.address);
      continue;
    }
    if (hop.kind == NextHop::kError) {
      outcomes[i] = outcome(TransportOutcome::kNever, hop.text);
      continue;
    }
    Group& group = groups[to_string(hop)];
    group.hop = hop;
    group.indexes.push_back(i);
    group.addresses.push_back(r.address);
  }
  if (groups.empty()) return outcomes;

  Result<std::string_view> text = message.text();
  if (!text) {
    for (const auto& [key, group] : groups) {
      for (size_t i : group.indexes) {
        outcomes[i] = outcome(TransportOutcome::kLater,
                              "4.3.0 the queued message cannot be read: " + text.error().message());
      }
    }
    return outcomes;
  }
  // Signed once for all destinations, just before it leaves.
  std::string signature;
  std::string sender_domain = ascii_lower(mail::domain_of(message.sender));
  if (keys_ != nullptr && !sender_domain.empty()) {
    if (const dkim::SigningKey* key = keys_->find(sender_domain)) {
      Result<std::string> signed_field = signer_.sign(*text, *key);
      if (signed_field) {
        signature = std::move(*signed_field);
      } else {
        log::warning("relay: {}: not signed: {}", message.id, signed_field.error().describe());
      }
    }
  }
  Sending sending{message.sender, signature, *text, has_eight_bit(*text), utf8};

  asio::io_context& io = connections_->io;
  io.restart();
  // Connections idle too long get their QUIT before this call's work.
  for (std::unique_ptr<SmtpClient>& expired : connections_->cache.take_expired()) {
    asio::co_spawn(
        io, [client = std::move(expired)]() -> asio::awaitable<void> { co_await client->quit(); },
        asio::detached);
  }
  DnsOptions dns_options{options_.dns_servers, options_.dns_timeout_ms, options_.dns_tries};
  Result<std::shared_ptr<DnsClient>> dns = DnsClient::create(io.get_executor(), dns_options);
  if (!dns) {
    for (const auto& [key, group] : groups) {
      for (size_t i : group.indexes) {
        outcomes[i] = outcome(TransportOutcome::kLater, "4.3.0 " + dns.error().message());
      }
    }
    return outcomes;
  }
  // The groups go out at once, each its own coroutine on this loop.
  for (const auto& [key, group] : groups) {
    asio::co_spawn(
        io,
        [&, group_ptr = &group]() -> asio::awaitable<void> {
          std::vector<TransportOutcome> results = co_await deliver_group(
              **dns, *group_ptr, sending, options_, tls_.get(), connections_->cache, random_);
          for (size_t k = 0; k < group_ptr->indexes.size(); ++k) {
            outcomes[group_ptr->indexes[k]] = std::move(results[k]);
          }
        },
        asio::detached);
  }
  io.run();
  return outcomes;
}

}  // namespace hm::relay
