#include "admin/cli/queue_command.h"

#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include "admin/cli/context.h"
#include "admin/cli/output.h"
#include "queue/queue.h"
#include "queue/queue_format.h"

namespace hm::admin::cli {
namespace {

std::string iso_time(std::chrono::system_clock::time_point t) {
  std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// When the recipient is tried next; empty (shown as "-" / null) when no time
// was ever set (a recipient not yet tried is due at the next queue run) or
// when nothing is left to try.
std::string next_attempt(const queue::QueuedRecipient& r) {
  using State = queue::QueuedRecipient::State;
  if (r.state == State::kDelivered || r.state == State::kFailed) return {};
  if (r.next_attempt.time_since_epoch().count() <= 0) return {};
  return iso_time(r.next_attempt);
}

std::string_view state_word(const queue::QueuedRecipient& r) {
  using State = queue::QueuedRecipient::State;
  switch (r.state) {
    case State::kPending: return "pending";
    case State::kDeferred: return "deferred";
    case State::kDelivered: return "delivered";
    case State::kFailed: return r.bounced ? "bounced" : "failed";
  }
  return "pending";
}

// One row per recipient, so that odd addresses (with commas or spaces) stay
// whole in both the text and the JSON output.
Table queue_table(const std::vector<queue::QueueEntry>& entries) {
  Table t;
  t.columns = {"id",    "sender",   "arrived",      "size",      "recipient",
               "state", "attempts", "next_attempt", "transport", "last_error"};
  t.numeric_columns = {"size", "attempts"};
  t.nullable_columns = {"next_attempt"};
  for (const queue::QueueEntry& e : entries) {
    // A bounce's null reverse-path, written as SMTP writes it: an empty
    // column would shift the ones after it in the text output.
    std::string sender = e.sender.empty() ? "<>" : e.sender;
    for (const queue::QueuedRecipient& r : e.recipients) {
      t.rows.push_back({e.id, sender, iso_time(e.arrived), std::to_string(e.size), r.address,
                        std::string(state_word(r)), std::to_string(r.attempts), next_attempt(r),
                        queue::format::route_word(r.route), r.last_error});
    }
  }
  return t;
}

}  // namespace

void add_queue_commands(CLI::App& app, const GlobalOptions& global, std::function<int()>& action) {
  auto* queue_cmd = app.add_subcommand("queue", "Messages waiting for another delivery attempt");
  queue_cmd->require_subcommand(1);

  // The options live as long as the App: shared with the callbacks.
  struct Options {
    bool json = false;
    std::string id;
  };
  auto opts = std::make_shared<Options>();

  auto* list = queue_cmd->add_subcommand("list", "List queued messages, one line per recipient");
  list->add_flag("--json", opts->json, "Print JSON");
  list->callback([&global, &action, opts] {
    action = [&global, opts] {
      return with_context(
          global,
          [&](Context& ctx) -> Status {
            auto entries = ctx.admin().list_queue();
            if (!entries) return fail(entries.error());
            print_table(queue_table(*entries), opts->json);
            return ok();
          },
          Uses::kQueue);
    };
  });

  auto* retry = queue_cmd->add_subcommand("retry", "Make queued messages due now (all, or ID)");
  retry->add_option("ID", opts->id, "Only this message");
  retry->callback([&global, &action, opts] {
    action = [&global, opts] {
      return with_context(
          global,
          [&](Context& ctx) -> Status {
            HM_TRY(ctx.admin().retry_queued(opts->id));
            std::cerr << (opts->id.empty() ? std::string("every queued message")
                                           : "message " + opts->id)
                      << " will be retried at the next queue run\n";
            return ok();
          },
          Uses::kQueue);
    };
  });

  auto* del = queue_cmd->add_subcommand("delete", "Delete a queued message without delivering it");
  del->add_option("ID", opts->id, "The message, as `hostmail queue list` shows it")->required();
  del->callback([&global, &action, opts] {
    action = [&global, opts] {
      return with_context(
          global,
          [&](Context& ctx) -> Status {
            HM_TRY(ctx.admin().delete_queued(opts->id));
            std::cerr << "message " << opts->id << " deleted from the queue\n";
            return ok();
          },
          Uses::kQueue);
    };
  });
}

}  // namespace hm::admin::cli
