#pragma once
// dkim::KeyStore: the DKIM keys of the hosted domains, one PEM file per
// domain and selector:
//
//   <key_dir>/<domain>/<selector>.key     mode 0600, owned by root or the daemon
//
// ([dkim] key_dir, by default <state_dir>/dkim). The keys are read once, by
// open(), and then only looked up: the store is immutable, so any number of
// threads may call find() at once, and a SigningKey it returns lives as
// long as the store.
//
// A private key must stay secret and must not be replaceable by someone
// else, so open() refuses (kPermission, saying how to fix it) a key file
// that its group or others may read or write, one owned by anyone but root,
// the running user or the daemon's user, and a folder that its group or
// others may write. It never follows a symbolic link below key_dir: one
// there is refused, not followed. Files not ending in ".key" are ignored
// (write_key's temporary files among them).
//
// Which key signs a domain's mail: the one of the configured selector
// ([dkim] selector); a domain that has no key of that selector signs with
// its only key; one with several keys and none of that selector is not
// signed (find() returns nullptr and selector_problem() says why).
// Rotating a selector is therefore: make the new key, publish its record,
// then either change [dkim] selector or remove the domain's old key file.

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dkim/signing_key.h"

namespace hm::dkim {

struct KeyStoreOptions {
  std::string selector = "default";  // [dkim] selector
  // The daemon's user (vmail), which may own key files besides root and
  // the running user; -1: none.
  uid_t daemon_uid = static_cast<uid_t>(-1);
};

class KeyStore {
 public:
  // Reads every key under `key_dir`. A key_dir that does not exist is an
  // empty store (no domain signs). Any key that cannot be used makes it
  // fail as a whole, naming the file and what to do: a daemon should not
  // start half signing.
  static Result<KeyStore> open(const std::string& key_dir, const KeyStoreOptions& options);

  // The key that signs mail of `domain` (lower-case ASCII), or nullptr.
  const SigningKey* find(std::string_view domain) const;
  // Why a domain that has keys has none chosen; empty when it has one
  // chosen or no key at all.
  std::string selector_problem(std::string_view domain) const;

  // Every key of `domain`, ordered by selector (for `hostmail dkim show`).
  // kNotFound when the domain has none.
  static Result<std::vector<SigningKey>> read_domain(const std::string& key_dir,
                                                     const std::string& domain,
                                                     const KeyStoreOptions& options);

  // Writes `key` as <key_dir>/<domain>/<selector>.key, mode 0600 whatever
  // the umask, creating the folders (mode 0700) as needed; the file appears
  // whole or not at all (written and fsynced under a temporary name, then
  // linked, or renamed over the old key when `replace`). kExists, naming
  // --force, when the key exists and `replace` is false. Existing folders
  // are checked as open() checks them (`options` names the daemon's user).
  static Status write_key(const std::string& key_dir, const SigningKey& key, bool replace,
                          const KeyStoreOptions& options = {});

  // The file a key lives in.
  static std::string key_path(const std::string& key_dir, std::string_view domain,
                              std::string_view selector);

 private:
  // domain -> its keys by selector
  std::map<std::string, std::map<std::string, SigningKey>, std::less<>> keys_;
  std::string selector_;
};

}  // namespace hm::dkim
