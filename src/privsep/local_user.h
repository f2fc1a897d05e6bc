#pragma once
// Delivery to a local (shell) account of this machine: into ~user/Maildir/,
// or through [local] mailbox_command (procmail, say) run as that user. The
// privileged helper, `hostmail deliver` run as root, and a daemon delivering
// to its own user all come here, so local mail takes one path.
//
// Who runs what: when the caller's effective uid is not the user's, the work
// is done in a forked child that first takes the user's ids (supplementary
// groups, gid, uid, then checks that uid 0 cannot be regained). That needs
// root, and, because the child then runs ordinary code (the Maildir writer),
// a single-threaded caller: the helper and `hostmail deliver` are. A caller
// that already is the user (a daemon not started as root) writes the Maildir
// in-process, and forks only to exec the mailbox command, doing nothing in
// the child but async-signal-safe calls; that is safe from any thread.
//
// Durability of a Maildir delivery is the store's (MailStore::save): "done"
// only once the file and new/ are fsynced. Where ~/Maildir/ lies is the
// store's rule too (store/mailbox_path.h). A mailbox command owns durability
// itself: exit status 0 means it has the message.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::privsep {

struct LocalUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  std::string shell;
};

// Looks a user up (getpwnam_r). kNotFound when there is no such user
// (permanent: the mail cannot be delivered); kPermission when it has uid 0
// (mail for root belongs to an alias for a real person: hostmail never runs
// a delivery as root); kInvalid for a name that is not a plausible user name;
// kTemporary when the lookup itself failed (NSS, LDAP down).
Result<LocalUser> lookup_local_user(std::string_view name);

struct LocalDeliverySettings {
  std::string hostname;  // for Maildir file names
  bool fsync = true;
  std::string mailbox_command;  // "" = ~/Maildir/; else an absolute path and arguments
  // The whole delivery (Maildir write or command) is stopped after this and
  // is a temporary failure: [local] delivery_timeout_s.
  std::chrono::seconds command_timeout{60};
  // [local] first_valid_uid: below it (and root always) a shell account is a
  // system account; nothing is ever written or run with its uid.
  uid_t first_valid_uid = 1000;
};

struct LocalMessage {
  // The copy to deliver (Return-Path:, Delivered-To:, Unix line ends),
  // readable and seekable from offset 0: a memfd. Not closed here.
  int fd = -1;
  std::string sender;     // envelope sender, "" for <>
  std::string recipient;  // the address the mail came for ($RECIPIENT)
};

// Delivers one message to `user`. Ok: the Maildir file name (new/...), or
// the command's name. Errors: kTemporary to retry later (I/O, a command's
// temporary exit status, timeout, no root to switch users); a permanent kind
// (kNotFound, kPermission, kInvalid) when the mailbox command said so.
Result<std::string> deliver_to_local_user(const LocalUser& user, const LocalMessage& message,
                                          const LocalDeliverySettings& settings);

// The result of a mailbox command from its wait(2) status, per sysexits.h
// as Postfix's local(8) reads it: 0 is success; EX_DATAERR (65), EX_NOUSER
// (67), EX_NOHOST (68) and EX_NOPERM (77) are permanent; every other exit
// status, EX_TEMPFAIL (75) among them, and death by a signal are temporary,
// so that nothing is lost because a command misbehaved. `output` (the
// command's first line of stderr/stdout) goes into the message.
Status map_command_status(int wait_status, std::string_view command, std::string_view output);

// Splits [local] mailbox_command into arguments at spaces and tabs; no shell
// is involved, so no quoting or expansion. Empty result for a blank command.
std::vector<std::string> split_command(std::string_view command);

}  // namespace hm::privsep
