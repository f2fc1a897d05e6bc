#pragma once
// LocalDelivery: how the DeliveryAgent reaches local (shell) accounts,
// injected by whoever builds the agent:
//   - PrivsepLocalDelivery: `hostmail serve` started as root asks its
//     privileged helper (privsep/helper.h), which delivers as the user;
//   - DirectLocalDelivery: delivers from this process: as root (`hostmail
//     deliver`, single-threaded) by a forked child that becomes the user, or,
//     not as root, only to the process's own user; others are deferred;
//   - UnavailableLocalDelivery: local delivery is off; everything deferred.
//
// Contract of deliver(): `message` is the final copy (Return-Path:,
// Delivered-To:, Unix line ends). Ok: durable in the user's Maildir, or the
// mailbox command accepted it. kTemporary: retry later (the agent queues
// it). Any other kind is permanent (no such user, uid 0, a mailbox command's
// permanent exit status). Implementations are thread-safe and blocking.

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "privsep/local_user.h"
#include "privsep/privsep_client.h"

namespace hm::delivery {

class LocalDelivery {
 public:
  virtual ~LocalDelivery() = default;
  // Ok: where it went (a Maildir file name or the command), for the log.
  virtual Result<std::string> deliver(const std::string& user, const std::string& sender,
                                      const std::string& recipient, std::string_view message) = 0;
};

class PrivsepLocalDelivery : public LocalDelivery {
 public:
  explicit PrivsepLocalDelivery(std::unique_ptr<privsep::PrivsepClient> client)
      : client_(std::move(client)) {}
  Result<std::string> deliver(const std::string& user, const std::string& sender,
                              const std::string& recipient, std::string_view message) override;
  privsep::PrivsepClient& client() { return *client_; }

 private:
  std::unique_ptr<privsep::PrivsepClient> client_;
};

class DirectLocalDelivery : public LocalDelivery {
 public:
  // `allow_switch`: may fork a child that becomes the user (requires root
  // and a single-threaded process: `hostmail deliver`). Without it only the
  // process's own user is served.
  DirectLocalDelivery(privsep::LocalDeliverySettings settings, bool allow_switch)
      : settings_(std::move(settings)), allow_switch_(allow_switch) {}
  Result<std::string> deliver(const std::string& user, const std::string& sender,
                              const std::string& recipient, std::string_view message) override;

 private:
  privsep::LocalDeliverySettings settings_;
  bool allow_switch_;
};

class UnavailableLocalDelivery : public LocalDelivery {
 public:
  explicit UnavailableLocalDelivery(std::string reason) : reason_(std::move(reason)) {}
  Result<std::string> deliver(const std::string& user, const std::string& sender,
                              const std::string& recipient, std::string_view message) override;

 private:
  std::string reason_;
};

}  // namespace hm::delivery
