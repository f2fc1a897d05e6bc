#include "delivery/delivery_agent.h"

#include <dirent.h>
#include <stdlib.h>

#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "directory/memory/memory_directory.h"
#include "queue/queue_format.h"
#include "smtp/proto/error_status.h"

namespace hm::delivery {
namespace {

using std::chrono::hours;
using std::chrono::system_clock;
using State = queue::QueuedRecipient::State;
using Kind = directory::Destination::Kind;

const std::string kMessage =
    "Received: from client ([192.0.2.1]) by mx.example\r\n"
    "From: User One <user1@example.org>\r\n"
    "Subject: hello\r\n"
    "\r\n"
    "the secret body text\r\n";

// A local delivery whose outcome each test sets.
struct LocalScript {
  std::optional<Error> result = Error(ErrorKind::kNotFound, "no such local user");
  int calls = 0;
};

class ScriptedLocalDelivery : public LocalDelivery {
 public:
  explicit ScriptedLocalDelivery(LocalScript& script) : script_(script) {}
  Result<std::string> deliver(const std::string&, const std::string&, const std::string&,
                              std::string_view) override {
    ++script_.calls;
    if (script_.result) return fail(*script_.result);
    return std::string("delivered");
  }

 private:
  LocalScript& script_;
};

void must(const Status& s) { ASSERT_TRUE(s.has_value()) << s.error().describe(); }

class DeliveryAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hm-delivery-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    directory::Actor admin{"admin", ""};
    must(directory_.add_domain(admin, {"example.org"}, {}));
    for (const char* user : {"user1", "user2"}) {
      directory::Account a;
      a.address = std::string(user) + "@example.org";
      a.mailbox = std::string("example.org/") + user + "/";
      must(directory_.add_account(admin, a));
    }
    auto q = queue::Queue::open(root_ + "/state", /*fsync=*/false);
    ASSERT_TRUE(q) << q.error().describe();
    queue_ = std::make_unique<queue::Queue>(std::move(*q));
    directory::ResolverOptions ro;
    ro.local_enabled = true;
    ro.local_domains = {"mx.example"};
    ro.local_user = [](std::string_view name) -> Result<std::optional<directory::LocalUser>> {
      if (name == "bob") return directory::LocalUser{1001};
      return std::optional<directory::LocalUser>();
    };
    resolver_ = std::make_unique<directory::Resolver>(directory_, ro);
    agent_ = make_agent(/*with_bounces=*/true);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<DeliveryAgent> make_agent(bool with_bounces) {
    DeliveryOptions o;
    o.virtual_base = root_ + "/vmail";
    o.hostname = "mx.example";
    o.fsync = false;
    SenderResolver resolve;
    if (with_bounces) {
      resolve = [this](std::string_view a) {
        sender_lookups_.push_back(std::string(a));
        return resolver_->resolve(a);
      };
    }
    return std::make_unique<DeliveryAgent>(
        o, *queue_, std::make_unique<ScriptedLocalDelivery>(local_), std::move(resolve));
  }

  // A recipient resolved the way SMTP resolves it.
  Recipient rcpt(const std::string& address) {
    auto r = resolver_->resolve(address);
    EXPECT_TRUE(r) << r.error().describe();
    return {r->address, *r};
  }

  // The messages in a virtual account's new/, by file name order.
  std::vector<std::string> inbox(const std::string& user) {
    std::vector<std::string> out;
    std::string dir = root_ + "/vmail/example.org/" + user + "/new";
    if (!std::filesystem::is_directory(dir)) return out;
    std::vector<std::filesystem::path> names;
    for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path());
    std::sort(names.begin(), names.end());
    for (const auto& p : names) {
      std::ifstream in(p, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      out.push_back(ss.str());
    }
    return out;
  }

  std::vector<queue::QueueEntry> queued() {
    auto entries = queue_->list();
    EXPECT_TRUE(entries) << entries.error().describe();
    return entries ? *entries : std::vector<queue::QueueEntry>{};
  }

  // A recipient as the queue holds it: `address` came from RCPT `address`.
  static queue::QueuedRecipient waiting(const std::string& address, State state,
                                        std::string error = {},
                                        system_clock::time_point next = {}) {
    queue::QueuedRecipient q;
    q.address = address;
    q.original = address;
    q.state = state;
    q.last_error = std::move(error);
    q.next_attempt = next;
    return q;
  }

  static bool contains(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
  }

  std::string root_;
  std::vector<std::string> sender_lookups_;  // every address the agent resolved
  directory::memory::MemoryDirectory directory_;
  std::unique_ptr<queue::Queue> queue_;
  std::unique_ptr<directory::Resolver> resolver_;
  LocalScript local_;
  std::unique_ptr<DeliveryAgent> agent_;
};

TEST_F(DeliveryAgentTest, FailedLocalRecipientIsBouncedToTheHostedSendersMaildir) {
  auto report = agent_->deliver({"user1@example.org", {rcpt("bob@mx.example")}}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->failed, 1u);
  EXPECT_EQ(report->bounced, 1u);
  EXPECT_EQ(report->queued, 0u);
  EXPECT_EQ(local_.calls, 1);

  auto mail = inbox("user1");
  ASSERT_EQ(mail.size(), 1u);
  const std::string& b = mail[0];
  EXPECT_EQ(b.rfind("Return-Path: <>\nDelivered-To: user1@example.org\n", 0), 0u) << b;
  EXPECT_TRUE(contains(b, "From: Mail Delivery System <MAILER-DAEMON@mx.example>\n"));
  EXPECT_TRUE(contains(b, "Content-Type: multipart/report; report-type=delivery-status;"));
  EXPECT_TRUE(contains(b, "Original-Recipient: rfc822;bob@mx.example\n"));
  EXPECT_TRUE(contains(b, "Final-Recipient: rfc822;bob@mx.example\n"));
  EXPECT_TRUE(contains(b, "Status: 5.1.1\n"));
  EXPECT_TRUE(contains(b, "Diagnostic-Code: smtp; 550 5.1.1 no such local user\n"));
  EXPECT_TRUE(contains(b, "Subject: hello\n"));  // the returned headers
  EXPECT_FALSE(contains(b, "the secret body text"));
  EXPECT_TRUE(queued().empty());
}

TEST_F(DeliveryAgentTest, NullSenderIsNeverBounced) {
  auto report = agent_->deliver({"", {rcpt("bob@mx.example")}}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->failed, 1u);
  EXPECT_EQ(report->bounced, 0u);
  EXPECT_TRUE(inbox("user1").empty());
  EXPECT_TRUE(inbox("user2").empty());
  EXPECT_TRUE(queued().empty());
}

TEST_F(DeliveryAgentTest, BounceToAnExternalSenderWaitsDeferredInTheQueue) {
  auto report = agent_->deliver({"someone@elsewhere.example", {rcpt("bob@mx.example")}}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->bounced, 1u);
  auto entries = queued();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].sender, "");  // a bounce travels with the null sender
  ASSERT_EQ(entries[0].recipients.size(), 1u);
  EXPECT_EQ(entries[0].recipients[0].address, "someone@elsewhere.example");
  EXPECT_EQ(entries[0].recipients[0].state, State::kDeferred);
  auto text = queue_->message(entries[0].id);
  ASSERT_TRUE(text);
  EXPECT_TRUE(contains(*text, "To: <someone@elsewhere.example>\r\n"));
  EXPECT_TRUE(contains(*text, "Final-Recipient: rfc822;bob@mx.example\r\n"));
}

TEST_F(DeliveryAgentTest, PartialFailureDeliversTheRestAndBouncesTheFailure) {
  must(directory_.add_alias({"admin", ""}, {"team@example.org", {"user2@example.org", "bob"}}));
  auto report = agent_->deliver({"user1@example.org", {rcpt("team@example.org")}}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->delivered, 1u);
  EXPECT_EQ(report->failed, 1u);
  EXPECT_EQ(report->bounced, 1u);
  EXPECT_EQ(inbox("user2").size(), 1u);
  auto mail = inbox("user1");
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_TRUE(contains(mail[0], "Original-Recipient: rfc822;team@example.org\n"));
  EXPECT_TRUE(contains(mail[0], "Final-Recipient: rfc822;bob@mx.example\n"));
  EXPECT_TRUE(queued().empty());
}

// Issue 11.3: an account's mailbox attribute never leads outside its own
// domain's folder (another tenant's Maildir, the top of virtual_base): the
// message waits in the queue for the administrator to mend the entry.
TEST_F(DeliveryAgentTest, AMailboxOutsideTheAccountsDomainIsNeverWritten) {
  directory::Actor admin{"admin", ""};
  must(directory_.add_domain(admin, {"tenant.example"}, {}));
  for (const char* mailbox : {"example.org/user9/", "./", "tenant.example/../example.org/user1/"}) {
    directory::Account evil;
    evil.address = "evil@tenant.example";
    evil.mailbox = mailbox;
    must(directory_.add_account(admin, evil));
    auto report = agent_->deliver({"", {rcpt("evil@tenant.example")}}, kMessage);
    ASSERT_TRUE(report) << report.error().describe();
    EXPECT_EQ(report->delivered, 0u) << mailbox;
    EXPECT_EQ(report->queued, 1u) << mailbox;
    must(directory_.delete_account(admin, "evil@tenant.example"));
  }
  EXPECT_FALSE(std::filesystem::exists(root_ + "/vmail/example.org/user9"));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/vmail/new"));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/vmail/tmp"));
  EXPECT_TRUE(inbox("user1").empty());
  EXPECT_EQ(queued().size(), 3u);
}

// Issue 11.6, the documented window: when the Maildir copies are written but
// the rest of the message cannot be queued (the spool's disk is full), the
// answer is a temporary failure, so nothing is lost, and the client's retry
// delivers those copies a second time (at least once, never zero times).
TEST_F(DeliveryAgentTest, QueueFailureAfterMaildirCopiesIsTemporaryAndMayDuplicate) {
  must(directory_.add_alias({"admin", ""},
                            {"both@example.org", {"user1@example.org", "x@remote.example"}}));
  // The queue's tmp/ is no folder any more: enqueue fails as on a full disk.
  const std::string spool_tmp = queue_->path() + "/tmp";
  std::filesystem::remove_all(spool_tmp);
  { std::ofstream blocker(spool_tmp); }
  auto report = agent_->deliver({"user2@example.org", {rcpt("both@example.org")}}, kMessage);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind(), ErrorKind::kTemporary);
  EXPECT_EQ(inbox("user1").size(), 1u);  // written before the queue failed
  EXPECT_TRUE(queued().empty());
  // The client retries once the disk has room: user1 gets a second copy.
  std::filesystem::remove(spool_tmp);
  std::filesystem::create_directory(spool_tmp);
  // The queue works in the folders it opened, never in one put in their
  // place later (issue 11.1): a queue opened now finds the new tmp/.
  agent_.reset();
  auto reopened = queue::Queue::open(root_ + "/state", /*fsync=*/false);
  ASSERT_TRUE(reopened) << reopened.error().describe();
  queue_ = std::make_unique<queue::Queue>(std::move(*reopened));
  agent_ = make_agent(/*with_bounces=*/true);
  report = agent_->deliver({"user2@example.org", {rcpt("both@example.org")}}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->queued, 1u);
  EXPECT_EQ(inbox("user1").size(), 2u);
}

// Issue 11.8: one mailbox reached several times in one message (the same
// RCPT repeated, or through aliases that meet) gets one copy.
TEST_F(DeliveryAgentTest, AMailboxReachedSeveralTimesGetsOneCopy) {
  must(directory_.add_alias({"admin", ""}, {"team@example.org", {"user1@example.org"}}));
  std::vector<Recipient> rcpts;
  for (int i = 0; i < 50; ++i) rcpts.push_back(rcpt("user1@example.org"));
  rcpts.push_back(rcpt("team@example.org"));
  auto report = agent_->deliver({"", rcpts}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->delivered, 1u);
  EXPECT_EQ(inbox("user1").size(), 1u);
}

// Issue 11.8: an account's quota is kept in Maildir++ maildirsize and
// enforced: a message that does not fit waits in the queue (452 4.2.2),
// and admits() tells SMTP at RCPT time.
TEST_F(DeliveryAgentTest, QuotaIsKeptInMaildirsizeAndEnforced) {
  directory::Actor admin{"admin", ""};
  auto a = directory_.find_account("user1@example.org");
  ASSERT_TRUE(a && a->has_value());
  directory::Account limited = **a;
  limited.quota_bytes = 4000;
  must(directory_.update_account(admin, limited));
  const std::string body(1500, 'x');
  const std::string message = "Subject: big\r\n\r\n" + body + "\r\n";
  for (int i = 0; i < 2; ++i) {
    auto report = agent_->deliver({"", {rcpt("user1@example.org")}}, message);
    ASSERT_TRUE(report) << report.error().describe();
    EXPECT_EQ(report->delivered, 1u) << i;
  }
  std::ifstream in(root_ + "/vmail/example.org/user1/maildirsize");
  std::string first;
  std::getline(in, first);
  EXPECT_EQ(first, "4000S");
  EXPECT_TRUE(agent_->admits(rcpt("user1@example.org").resolution, 0));
  auto third = agent_->deliver({"", {rcpt("user1@example.org")}}, message);
  ASSERT_TRUE(third) << third.error().describe();
  EXPECT_EQ(third->delivered, 0u);
  EXPECT_EQ(third->queued, 1u);
  EXPECT_EQ(inbox("user1").size(), 2u);
  auto entries = queued();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].recipients[0].last_error, "452 4.2.2 mailbox full");
  auto room = agent_->admits(rcpt("user1@example.org").resolution, 1500);
  ASSERT_FALSE(room);
  EXPECT_EQ(room.error().kind(), ErrorKind::kTemporary);  // full for now: 452 4.2.2
  auto never = agent_->admits(rcpt("user1@example.org").resolution, 5000);
  ASSERT_FALSE(never);
  EXPECT_EQ(never.error().kind(), ErrorKind::kOverQuota);  // can never fit: 552 5.2.2
  // Without a quota nothing is counted or refused.
  EXPECT_TRUE(agent_->admits(rcpt("user2@example.org").resolution, 1u << 30));
}

TEST_F(DeliveryAgentTest, CallerThatReportsTotalFailureGetsNoBounce) {
  Envelope e{"user1@example.org", {rcpt("bob@mx.example")}};
  e.caller_reports_total_failure = true;  // hostmail deliver: its exit status says it
  auto report = agent_->deliver(e, kMessage);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->failed, 1u);
  EXPECT_EQ(report->delivered + report->queued, 0u);
  EXPECT_TRUE(inbox("user1").empty());
  EXPECT_TRUE(queued().empty());
}

TEST_F(DeliveryAgentTest, BounceThatCannotBeSentYetKeepsTheFailureInTheQueue) {
  Recipient bob = rcpt("bob@mx.example");
  directory_.set_unavailable(true);  // the sender cannot be looked up now
  auto report = agent_->deliver({"user1@example.org", {bob}}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->failed, 1u);
  EXPECT_EQ(report->bounced, 0u);
  auto entries = queued();
  ASSERT_EQ(entries.size(), 1u);
  ASSERT_EQ(entries[0].recipients.size(), 1u);
  EXPECT_EQ(entries[0].recipients[0].state, State::kFailed);
  EXPECT_FALSE(entries[0].recipients[0].bounced);

  // Still down: the queue run leaves it for the next one.
  must(agent_->run_queue(directory_, system_clock::now()));
  EXPECT_EQ(queued().size(), 1u);
  EXPECT_TRUE(inbox("user1").empty());

  directory_.set_unavailable(false);
  must(agent_->run_queue(directory_, system_clock::now()));
  EXPECT_EQ(local_.calls, 1);  // a failed recipient is never tried again
  auto mail = inbox("user1");
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_TRUE(contains(mail[0], "Status: 5.1.1\n"));
  EXPECT_TRUE(queued().empty());
}

TEST_F(DeliveryAgentTest, AgentWithoutBouncesLeavesFailuresForOneThatHas) {
  auto plain = make_agent(/*with_bounces=*/false);
  auto report = plain->deliver({"user1@example.org", {rcpt("bob@mx.example")}}, kMessage);
  ASSERT_TRUE(report);
  ASSERT_EQ(queued().size(), 1u);
  must(plain->run_queue(directory_, system_clock::now()));
  ASSERT_EQ(queued().size(), 1u);
  must(agent_->run_queue(directory_, system_clock::now()));
  EXPECT_EQ(inbox("user1").size(), 1u);
  EXPECT_TRUE(queued().empty());
}

TEST_F(DeliveryAgentTest, LocalRecipientFailingLaterInTheQueueIsBounced) {
  local_.result = Error(ErrorKind::kTemporary, "mailbox command busy");
  auto report = agent_->deliver({"user1@example.org", {rcpt("bob@mx.example")}}, kMessage);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->queued, 1u);
  EXPECT_TRUE(inbox("user1").empty());

  local_.result = Error(ErrorKind::kPermission, "the mailbox command refused the message");
  must(agent_->run_queue(directory_, system_clock::now() + hours(1)));
  EXPECT_EQ(local_.calls, 2);
  auto mail = inbox("user1");
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_TRUE(contains(mail[0], "Action: failed\n"));
  EXPECT_TRUE(contains(mail[0], "Status: 5."));
  EXPECT_TRUE(contains(mail[0], "the mailbox command refused the message"));
  EXPECT_TRUE(queued().empty());
}

TEST_F(DeliveryAgentTest, GivesUpAfterFiveDaysAndBouncesWithStatus447) {
  auto report = agent_->deliver(
      {"user1@example.org", {rcpt("user2@example.org"), rcpt("x@remote.example")}}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->delivered, 1u);
  EXPECT_EQ(report->queued, 1u);
  auto entries = queued();
  ASSERT_EQ(entries.size(), 1u);
  const auto arrived = entries[0].arrived;

  must(agent_->run_queue(directory_, arrived + hours(24 * 4)));
  ASSERT_EQ(queued().size(), 1u);
  EXPECT_TRUE(inbox("user1").empty());

  must(agent_->run_queue(directory_, arrived + queue::Queue::kGiveUpAfter + hours(1)));
  EXPECT_TRUE(queued().empty());
  auto mail = inbox("user1");
  ASSERT_EQ(mail.size(), 1u);
  EXPECT_TRUE(contains(mail[0], "Final-Recipient: rfc822;x@remote.example\n"));
  EXPECT_TRUE(contains(mail[0], "Action: failed\n"));
  EXPECT_TRUE(contains(mail[0], "Status: 4.4.7\n"));
  EXPECT_TRUE(contains(mail[0], "Diagnostic-Code: smtp; 451 4.4.0 waiting for the outbound relay"));
  EXPECT_FALSE(contains(mail[0], "user2@example.org"));  // only the failure is reported
}

TEST_F(DeliveryAgentTest, AnExpiredBounceIsDroppedNotBounced) {
  auto report = agent_->deliver({"someone@elsewhere.example", {rcpt("bob@mx.example")}}, kMessage);
  ASSERT_TRUE(report);
  auto entries = queued();
  ASSERT_EQ(entries.size(), 1u);  // the bounce, waiting for the relay
  ASSERT_EQ(entries[0].sender, "");
  sender_lookups_.clear();
  must(agent_->run_queue(directory_, entries[0].arrived + queue::Queue::kGiveUpAfter));
  EXPECT_TRUE(queued().empty());
  // Settled by the null-sender rule itself, not by a failed attempt to
  // address a bounce of the bounce to "<>".
  EXPECT_EQ(std::count(sender_lookups_.begin(), sender_lookups_.end(), ""), 0);
  EXPECT_TRUE(inbox("user1").empty());
  EXPECT_TRUE(inbox("user2").empty());
}

// Issue 12: a retry resolves the recipient again, as at RCPT time. An
// account deleted while its mail waited fails at once with 5.1.1 and is
// bounced now (not after 5 days as "expired"); a directory outage is an
// attempt that counts, with its error and the next try set.
TEST_F(DeliveryAgentTest, ARetryResolvesTheRecipientAgain) {
  queue::QueuedRecipient waiting;
  waiting.address = "user1@example.org";
  waiting.original = "user1@example.org";
  waiting.state = State::kDeferred;
  waiting.last_error = "452 4.2.2 mailbox full";
  auto id = queue_->enqueue("user2@example.org", {waiting}, kMessage);
  ASSERT_TRUE(id) << id.error().describe();

  directory_.set_unavailable(true);
  const auto now = std::chrono::system_clock::now();
  must(agent_->run_queue(directory_, now));
  directory_.set_unavailable(false);
  auto entries = queued();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].recipients[0].attempts, 1u);
  EXPECT_EQ(entries[0].recipients[0].state, State::kDeferred);
  EXPECT_TRUE(contains(entries[0].recipients[0].last_error, "451 4.3.0"));
  EXPECT_GT(entries[0].recipients[0].next_attempt, now);

  must(directory_.delete_account({"admin", ""}, "user1@example.org"));
  must(agent_->run_queue(directory_, entries[0].recipients[0].next_attempt));
  EXPECT_TRUE(queued().empty());
  EXPECT_TRUE(inbox("user1").empty());
  auto bounce = inbox("user2");
  ASSERT_EQ(bounce.size(), 1u);
  EXPECT_TRUE(contains(bounce[0], "Status: 5.1.1")) << bounce[0];
}

TEST_F(DeliveryAgentTest, SenderThatCannotReceiveMailDropsTheBounce) {
  // A forged sender in our own domain: no account, so nobody to tell.
  auto report = agent_->deliver({"ghost@example.org", {rcpt("bob@mx.example")}}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->bounced, 1u);  // settled: logged, not kept
  EXPECT_TRUE(queued().empty());
}

TEST_F(DeliveryAgentTest, OldEnvelopeWithAFailedRecipientIsBouncedOnTheNextRun) {
  // An envelope written before bounces existed: "failed" without "bounced".
  queue::QueuedRecipient failed;
  failed.address = "bob";
  failed.original = "bob@mx.example";
  failed.state = State::kFailed;
  failed.last_error = "550 5.1.1 no such local user";
  queue::QueuedRecipient deferred;
  deferred.address = "x@remote.example";
  deferred.original = "x@remote.example";
  deferred.state = State::kDeferred;
  deferred.last_error = "451 4.4.0 waiting";
  deferred.next_attempt = system_clock::now() + hours(2);
  auto id = queue_->enqueue("user1@example.org", {failed, deferred}, kMessage);
  ASSERT_TRUE(id);

  must(agent_->run_queue(directory_, system_clock::now()));
  ASSERT_EQ(inbox("user1").size(), 1u);
  auto entry = queue_->get(*id);
  ASSERT_TRUE(entry);  // the deferred recipient keeps it
  EXPECT_TRUE(entry->recipients[0].bounced);
  EXPECT_EQ(entry->recipients[1].state, State::kDeferred);
  // No second bounce for the same failure.
  must(agent_->run_queue(directory_, system_clock::now()));
  EXPECT_EQ(inbox("user1").size(), 1u);
}

// Issue 12: every queued recipient records how it is delivered.
TEST_F(DeliveryAgentTest, QueuedRecipientsRecordTheirRoute) {
  must(directory_.add_alias({"admin", ""}, {"fwd@example.org", {"friend@far-away.example"}}));
  local_.result = Error(ErrorKind::kTemporary, "mailbox command busy");
  auto report = agent_->deliver(
      {"user1@example.org", {rcpt("bob@mx.example"), rcpt("fwd@example.org")}}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  auto entries = queued();
  ASSERT_EQ(entries.size(), 1u);
  ASSERT_EQ(entries[0].recipients.size(), 2u);
  EXPECT_EQ(entries[0].recipients[0].address, "bob");
  EXPECT_EQ(entries[0].recipients[0].route, (queue::Route{queue::Route::Kind::kLocal, ""}));
  EXPECT_EQ(entries[0].recipients[1].address, "friend@far-away.example");
  EXPECT_EQ(entries[0].recipients[1].route,
            (queue::Route{queue::Route::Kind::kRemote, "far-away.example"}));
}

// A recipient for elsewhere is neither lost nor bounced while no relay
// transport exists: it stays queued, no attempt is counted, and the log
// says why. It is looked at again after kNoTransportWait, not every run.
TEST_F(DeliveryAgentTest, ARemoteRecipientWithoutARelayTransportWaitsAndTheLogSaysWhy) {
  auto report = agent_->deliver({"user1@example.org", {rcpt("x@remote.example")}}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->queued, 1u);
  const auto now = system_clock::now();
  ::testing::internal::CaptureStderr();
  Status ran = agent_->run_queue(directory_, now);
  const std::string log = ::testing::internal::GetCapturedStderr();
  must(ran);
  EXPECT_TRUE(contains(log,
                       "to=x@remote.example: no relay transport is configured for route "
                       "remote:remote.example; kept in the queue"))
      << log;
  auto entries = queued();
  ASSERT_EQ(entries.size(), 1u);
  const queue::QueuedRecipient& x = entries[0].recipients[0];
  EXPECT_EQ(x.state, State::kDeferred);
  EXPECT_EQ(x.attempts, 0u);
  EXPECT_EQ(x.route, (queue::Route{queue::Route::Kind::kRemote, "remote.example"}));
  EXPECT_GE(x.next_attempt,
            std::chrono::floor<std::chrono::seconds>(now) + DeliveryAgent::kNoTransportWait);
  EXPECT_TRUE(inbox("user1").empty());  // no bounce

  // Not due again before then: the next run reads nothing.
  const uint64_t reads = queue_->envelope_reads();
  must(agent_->run_queue(directory_, now + std::chrono::minutes(30)));
  EXPECT_EQ(queue_->envelope_reads(), reads);
}

// What the outbound relay will add: a transport for the remote kind, and
// nothing else. It gets the due remote recipients with their next hop and
// the message; the runner records its outcomes.
TEST_F(DeliveryAgentTest, ARemoteTransportIsAllTheRelayAdds) {
  struct Call {
    std::string sender, address, next_hop, text;
  };
  struct FakeRelay : Transport {
    explicit FakeRelay(std::vector<Call>& calls) : calls_(calls) {}
    std::vector<TransportOutcome> deliver(const QueuedMessage& message,
                                          const std::vector<const queue::QueuedRecipient*>& rcpts,
                                          const TransportContext&) override {
      std::vector<TransportOutcome> out;
      for (const queue::QueuedRecipient* q : rcpts) {
        auto text = message.text();
        calls_.push_back({message.sender, q->address, q->route.next_hop,
                          text ? std::string(*text) : std::string()});
        if (q->address == "later@remote.example") {
          out.push_back({TransportOutcome::kLater, "421 4.4.2 remote.example busy", {}});
        } else {
          out.push_back({});
        }
      }
      return out;
    }
    std::vector<Call>& calls_;
  };
  std::vector<Call> calls;
  agent_->set_transport(queue::Route::Kind::kRemote, std::make_unique<FakeRelay>(calls));
  auto report = agent_->deliver(
      {"user1@example.org", {rcpt("x@remote.example"), rcpt("later@remote.example")}}, kMessage);
  ASSERT_TRUE(report) << report.error().describe();
  must(agent_->run_queue(directory_, system_clock::now()));
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].sender, "user1@example.org");
  EXPECT_EQ(calls[0].address, "x@remote.example");
  EXPECT_EQ(calls[0].next_hop, "remote.example");
  EXPECT_EQ(calls[0].text, kMessage);
  auto entries = queued();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].recipients[0].state, State::kDelivered);
  EXPECT_EQ(entries[0].recipients[1].state, State::kDeferred);
  EXPECT_EQ(entries[0].recipients[1].attempts, 1u);
  EXPECT_EQ(entries[0].recipients[1].last_error, "421 4.4.2 remote.example busy");
}

// The runner does not read every envelope on every run: only those its
// schedule says are due. A queue of deferred messages that nothing is due
// for costs no read at all; making one due (`hostmail queue retry`, from
// another process) costs that one.
TEST_F(DeliveryAgentTest, AQueueRunReadsOnlyTheEnvelopesThatAreDue) {
  const queue::QueuedRecipient full =
      waiting("user1@example.org", State::kDeferred, "452 4.2.2 mailbox full",
              system_clock::now() + hours(2));
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto id = queue_->enqueue("user2@example.org", {full}, kMessage);
    ASSERT_TRUE(id) << id.error().describe();
    ids.push_back(*id);
  }
  const auto now = system_clock::now();
  must(agent_->run_queue(directory_, now));  // the first run scans: reads all 20 once
  EXPECT_EQ(agent_->schedule().size(), 20u);
  uint64_t reads = queue_->envelope_reads();
  for (int minute = 1; minute <= 3; ++minute) {
    agent_->queue_changed();  // a rescan too: it stats, reads nothing unchanged
    must(agent_->run_queue(directory_, now + std::chrono::minutes(minute)));
  }
  EXPECT_EQ(queue_->envelope_reads(), reads);
  EXPECT_TRUE(inbox("user1").empty());

  auto other = queue::Queue::open(root_ + "/state", /*fsync=*/false);  // as another process
  ASSERT_TRUE(other);
  must(other->retry_now(ids[7]));
  agent_->queue_changed();
  must(agent_->run_queue(directory_, now + std::chrono::minutes(4)));
  EXPECT_EQ(queue_->envelope_reads(), reads + 1);
  EXPECT_EQ(inbox("user1").size(), 1u);
  EXPECT_EQ(queued().size(), 19u);
}

// A message that another process queues (`hostmail deliver` writes into the
// same queue) is picked up by the periodic rescan, without being told.
TEST_F(DeliveryAgentTest, AMessageQueuedByAnotherProcessIsPickedUpByTheRescan) {
  const auto now = system_clock::now();
  must(agent_->run_queue(directory_, now));  // scanned: empty
  auto other = queue::Queue::open(root_ + "/state", /*fsync=*/false);
  ASSERT_TRUE(other);
  auto id = other->enqueue("user2@example.org", {waiting("user1@example.org", State::kPending)},
                           kMessage);
  ASSERT_TRUE(id) << id.error().describe();
  must(agent_->run_queue(directory_, now + std::chrono::seconds(1)));
  EXPECT_TRUE(inbox("user1").empty());  // not rescanned yet
  must(agent_->run_queue(directory_, now + DeliveryAgent::kRescanEvery));
  EXPECT_EQ(inbox("user1").size(), 1u);
  EXPECT_TRUE(queued().empty());
  EXPECT_EQ(agent_->schedule().size(), 0u);
}

// A queue survives an upgrade: an envelope file written in version 1 (no
// routes) is read and delivered; its address that is not hosted is routed
// to the remote transport, where it waits.
TEST_F(DeliveryAgentTest, AVersion1EnvelopeOnDiskIsStillDelivered) {
  const std::string id = "1732540000.000000P1Q1R0000abcd";
  const std::string active = root_ + "/state/queue/active/";
  {
    std::ofstream msg(active + id + ".msg", std::ios::binary);
    msg << kMessage;
  }
  const auto arrived = std::chrono::floor<std::chrono::seconds>(system_clock::now());
  {
    std::ofstream env(active + id + ".env", std::ios::binary);
    env << "hostmail-queue 1\n"
        << "sender user2@example.org\n"
        << "arrived "
        << std::chrono::duration_cast<std::chrono::seconds>(arrived.time_since_epoch()).count()
        << "\n"
        << "rcpt deferred 1 0 user1@example.org user1@example.org 452 4.2.2 mailbox full\n"
        << "rcpt deferred 1 0 x@remote.example x@remote.example 451 4.4.0 waiting\n"
        << "\n";
  }
  must(agent_->run_queue(directory_, system_clock::now()));
  EXPECT_EQ(inbox("user1").size(), 1u);
  auto entry = queue_->get(id);
  ASSERT_TRUE(entry) << entry.error().describe();  // x keeps it
  EXPECT_EQ(entry->recipients[0].state, State::kDelivered);
  EXPECT_EQ(entry->recipients[1].state, State::kDeferred);
  EXPECT_EQ(entry->recipients[1].route,
            (queue::Route{queue::Route::Kind::kRemote, "remote.example"}));
  std::ifstream env(active + id + ".env");
  std::string first;
  std::getline(env, first);
  EXPECT_EQ(first, "hostmail-queue 2");  // rewritten in the current version
}

// One table of SMTP statuses (issue 12): whatever status RCPT would answer
// for an error is the status the queue records and the bounce reports for
// the same error found at delivery. A permanent one (5xx) is bounced at once
// with that very enhanced code; a transient one (4xx) waits in the queue
// with it, never bounced as if delivery time had expired.
TEST_F(DeliveryAgentTest, RcptAndBounceGiveTheSameStatusForTheSameError) {
  for (ErrorKind kind :
       {ErrorKind::kTemporary, ErrorKind::kNotFound, ErrorKind::kExists, ErrorKind::kPermission,
        ErrorKind::kAuthFailed, ErrorKind::kInvalid, ErrorKind::kLimit, ErrorKind::kOverQuota,
        ErrorKind::kLoop, ErrorKind::kInternal}) {
    SCOPED_TRACE(std::string(to_string(kind)));
    const Error error(kind, "scripted failure");
    // What RCPT would have answered, had the directory said so then.
    const smtp::proto::Reply at_rcpt = smtp::proto::rcpt_reply(error, "bob@mx.example");
    const int code = at_rcpt.code;
    const std::string enhanced = at_rcpt.enhanced;
    const std::string status = std::to_string(code) + " " + enhanced;
    local_.result = error;
    // Each round's bounce alone in the sender's Maildir (file names need not
    // sort by time within a second).
    const std::string new_dir = root_ + "/vmail/example.org/user1/new";
    if (std::filesystem::is_directory(new_dir)) {
      for (const auto& f : std::filesystem::directory_iterator(new_dir)) {
        std::filesystem::remove(f.path());
      }
    }
    auto report = agent_->deliver({"user1@example.org", {rcpt("bob@mx.example")}}, kMessage);
    ASSERT_TRUE(report) << report.error().describe();
    if (code >= 500) {
      EXPECT_EQ(report->bounced, 1u);
      auto mail = inbox("user1");
      ASSERT_EQ(mail.size(), 1u);
      EXPECT_TRUE(contains(mail[0], "Status: " + enhanced + "\n")) << mail[0];
      EXPECT_TRUE(contains(mail[0], "Diagnostic-Code: smtp; " + status + " scripted failure\n"))
          << mail[0];
      EXPECT_TRUE(queued().empty());
    } else {
      EXPECT_EQ(report->bounced, 0u);
      EXPECT_TRUE(inbox("user1").empty());
      auto entries = queued();
      ASSERT_EQ(entries.size(), 1u);
      ASSERT_EQ(entries[0].recipients.size(), 1u);
      EXPECT_EQ(entries[0].recipients[0].state, State::kDeferred);
      EXPECT_EQ(entries[0].recipients[0].last_error, status + " scripted failure");
      must(queue_->remove(entries[0].id));
    }
  }
}

}  // namespace
}  // namespace hm::delivery
