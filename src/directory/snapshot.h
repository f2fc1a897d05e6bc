#pragma once
// A whole directory as a value: read it, change it in memory (LDIF import
// applies its records to one), and make a directory equal to it.

#include "base/result.h"
#include "directory/directory.h"
#include "directory/model.h"

namespace hm::directory {

// Reads everything, in the canonical order of Snapshot.
Result<Snapshot> take_snapshot(Directory& directory);

// Sorts a snapshot into the canonical order (see model.h).
void canonicalize(Snapshot& snapshot);

// Makes the directory hold exactly `target`: adds what is missing, updates
// what differs, deletes what `target` lacks; except that retired mailboxes
// are only ever added (an account deleted here retires its mailbox too). Not atomic as a whole
// (each change is); on failure the error says which entry stopped it.
Status apply_snapshot(Directory& directory, const Actor& actor, const Snapshot& target);

}  // namespace hm::directory
