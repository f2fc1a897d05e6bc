#pragma once
// The folders of one account's Maildir++ tree, and the rule that keeps
// every folder name inside it.
//
// Layout (Courier's and Dovecot's): the account's Maildir root is the
// INBOX; a folder "A/B" is the Maildir "<root>/.A.B/" (its name's parts
// joined by '.', after a leading '.'), holding cur/ new/ tmp/ and an empty
// file "maildirfolder" that tells delivery agents it is a folder. The
// hierarchy is flat on disk: ".A.B" may exist without ".A".
//
// Names: a folder is given as its list of name parts (the IMAP layer maps
// its mailbox names, with their separator and encoding, to these). Each
// part must be non-empty, at most kMaxFolderPartBytes, and hold no '.'
// (the separator on disk), no '/', no NUL or other control byte, and not
// start with '~'; the whole on-disk name fits one path component (255
// bytes) and has at most kMaxFolderDepth parts. So a folder's path is
// always one plain name directly below the root: no name can reach outside
// the account's Maildir, nor collide with cur/ new/ tmp/ or hostmail's own
// files (which never start with '.').
//
// Durability: create and rename are single renames in the root (a folder
// appears whole or not at all), delete renames the folder out of sight
// before removing its files; the root is fsynced before they return.
// Crash leftovers ("hostmail-newfolder.*", "hostmail-deleted.*") are never
// listed and are removed by the next delete_folder.
//
// Thread-safety: reentrant; concurrent changes of the same names by other
// processes resolve as the file system's renames do (kExists, kNotFound).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace hm::store::maildir {

using FolderName = std::vector<std::string>;  // the parts of a name; empty: the INBOX

inline constexpr size_t kMaxFolderPartBytes = 200;
inline constexpr size_t kMaxFolderDepth = 16;
inline constexpr const char* kFolderMarker = "maildirfolder";

// kInvalid, saying which rule `name` breaks (the INBOX, empty, is valid).
Status check_folder_name(const FolderName& name);

// The folder's path below `root` (the Maildir root, with or without a
// trailing '/'): "<root>/.A.B/", or the root itself (with '/') for the
// INBOX. kInvalid as check_folder_name.
Result<std::string> folder_path(std::string_view root, const FolderName& name);

// The folders below `root` (not the INBOX), sorted: every ".Name" entry
// that is a folder (not a symbolic link) and whose name passes the check.
Result<std::vector<FolderName>> list_folders(std::string_view root);

struct FolderChange {
  bool fsync = true;  // false only for tests and benchmarks that say so
};

// Creates the folder, whole (built under a temporary name, renamed into
// place). kExists when it exists; kInvalid for the INBOX or a bad name.
Status create_folder(std::string_view root, const FolderName& name, FolderChange how = {});

// Deletes the folder and its messages (not its subfolders, which are
// folders of their own). kNotFound when it does not exist; kInvalid for
// the INBOX or a bad name.
Status delete_folder(std::string_view root, const FolderName& name, FolderChange how = {});

// Renames the folder `from` and every folder below it ("A" -> "C" takes
// "A/B" to "C/B"). kNotFound when `from` is missing, kExists when `to` (or
// a subfolder's new name) is taken, kInvalid for the INBOX, a bad name, or
// `to` below `from`. Subfolders are renamed one by one: a crash in between
// leaves some renamed and the rest not, each of them whole.
Status rename_folder(std::string_view root, const FolderName& from, const FolderName& to,
                     FolderChange how = {});

}  // namespace hm::store::maildir
