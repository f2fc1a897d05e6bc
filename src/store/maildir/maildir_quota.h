#pragma once
// Maildir++ quota: the `maildirsize` file at the top of a Maildir, in the
// form Courier's deliverquota and Dovecot's maildir quota read and write, so
// that their tools and hostmail agree on how full a mailbox is.
//
//   line 1:   "<bytes>S"                 the quota in force
//   then:     "<bytes> <messages>"       one line per change (may be negative)
//
// Usage is the sum of all lines after the first. Each delivery appends one
// line with O_APPEND (one write, so concurrent writers on one machine never
// interleave within a line). The file is recalculated from the messages in
// new/ and cur/ of the INBOX and of every Maildir++ folder (".Name", never
// through a link), their size from ",S=" in the name, else stat, when it is
// missing, when its first line is not the quota in force, or when it has
// grown past 5,120 bytes, as the Maildir++ rules say; a recalculation is
// written to tmp/ and renamed over the old file, so a reader never sees half.
//
// Counting is approximate by design (Maildir++ accepts that: a message
// removed by a mail reader that does not update the file is found at the
// next recalculation); it never blocks a delivery on a lock.
//
// Thread-safe: may be called from any number of threads and processes.

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "base/result.h"

namespace hm::store::maildir {

struct QuotaUsage {
  int64_t bytes = 0;
  int64_t messages = 0;
};

// Usage of the Maildir at `maildir` (its root, ending in '/') under a quota
// of `quota_bytes`. A Maildir that does not exist yet uses nothing. When the
// file has to be (re)written and we run as root, it is given to uid/gid.
Result<QuotaUsage> quota_usage(const std::string& maildir, uint64_t quota_bytes, uid_t uid = -1,
                               gid_t gid = -1);

// Records a change of `bytes` and `messages` (after a delivery). A Maildir
// without a maildirsize file gets one, counted from its messages (which
// include the change).
Status record_quota_change(const std::string& maildir, int64_t bytes, int64_t messages,
                           uint64_t quota_bytes, uid_t uid = -1, gid_t gid = -1);

}  // namespace hm::store::maildir
