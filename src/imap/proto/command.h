#pragma once
// IMAP commands (RFC 3501 6 and the extensions hostmail offers) as the
// parser yields them: tag, name and typed arguments. No I/O. Mailbox names
// are UTF-8, decoded from modified UTF-7, with "INBOX" in any case folded to
// "INBOX" (RFC 3501 5.1).

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "imap/proto/sequence_set.h"

namespace hm::imap::proto {

enum class CommandName {
  // any state
  kCapability,
  kNoop,
  kLogout,
  kId,
  kEnable,
  // not authenticated
  kStartTls,
  kAuthenticate,
  kLogin,
  // authenticated
  kSelect,
  kExamine,
  kCreate,
  kDelete,
  kRename,
  kSubscribe,
  kUnsubscribe,
  kList,
  kLsub,
  kStatus,
  kAppend,
  kNamespace,
  kGetQuota,
  kGetQuotaRoot,
  kSetQuota,
  kIdle,
  // selected
  kCheck,
  kClose,
  kUnselect,
  kExpunge,
  kSearch,
  kFetch,
  kStore,
  kCopy,
  kMove,
};

std::string_view to_string(CommandName name);

// ---- arguments, one struct per shape -------------------------------------

struct LoginArgs {
  std::string user;
  std::string password;
};

struct AuthenticateArgs {
  std::string mechanism;  // upper-cased
  // SASL-IR (RFC 4959): the initial response as sent (base64, or "=" for an
  // empty one); nullopt when none was given.
  std::optional<std::string> initial_response;
};

// SELECT/EXAMINE, CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE, GETQUOTAROOT.
struct MailboxArgs {
  std::string mailbox;
  // SELECT/EXAMINE (CONDSTORE) (RFC 7162 3.1.8)
  bool condstore = false;
  // SELECT/EXAMINE (QRESYNC (uidvalidity modseq [known-uids [(seq uids)]]))
  struct Qresync {
    uint32_t uidvalidity = 0;
    uint64_t modseq = 0;
    std::optional<SequenceSet> known_uids;
    std::optional<std::pair<SequenceSet, SequenceSet>> seq_match;  // (known seqs, their uids)
  };
  std::optional<Qresync> qresync;
  // CREATE ... (USE (\Sent \Archive)) (CREATE-SPECIAL-USE, RFC 6154 3):
  // the special-use attributes as sent.
  std::vector<std::string> special_use;
};

struct RenameArgs {
  std::string from;
  std::string to;
};

struct ListArgs {
  // LIST-EXTENDED (RFC 5258) selection options, upper-cased:
  // SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE.
  std::vector<std::string> selection;
  std::string reference;              // UTF-8
  std::vector<std::string> patterns;  // UTF-8, with % and * as sent; several with LIST-EXTENDED
  // RETURN options, upper-cased: SUBSCRIBED, CHILDREN, SPECIAL-USE, STATUS.
  std::vector<std::string> return_options;
  // RETURN (STATUS (...)) (LIST-STATUS, RFC 5819): the STATUS items.
  std::vector<std::string> status_items;
};

// STATUS items upper-cased: MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN
// HIGHESTMODSEQ SIZE APPENDLIMIT.
struct StatusArgs {
  std::string mailbox;
  std::vector<std::string> items;
};

struct AppendMessage {
  std::vector<std::string> flags;        // as sent ("\\Seen", "$Label")
  std::optional<int64_t> internal_date;  // seconds since the epoch, UTC
  std::string message;                   // the literal's octets
  bool binary = false;                   // sent as literal8 "~{n}" (RFC 3516)
};

struct AppendArgs {
  std::string mailbox;
  std::vector<AppendMessage> messages;  // MULTIAPPEND (RFC 3502): one or more
};

// FETCH (RFC 3501 6.4.5, BINARY RFC 3516, CONDSTORE RFC 7162).
struct Section {
  std::vector<uint32_t> part;  // "1.2.3"; empty = the whole message
  enum class Text { kNone, kHeader, kHeaderFields, kHeaderFieldsNot, kText, kMime };
  Text text = Text::kNone;
  std::vector<std::string> fields;  // HEADER.FIELDS (...), upper-cased
  bool operator==(const Section&) const = default;
};

struct FetchAtt {
  enum class Item {
    kEnvelope,
    kFlags,
    kInternalDate,
    kRfc822,
    kRfc822Header,
    kRfc822Size,
    kRfc822Text,
    kBody,  // BODY without section: the non-extensible BODYSTRUCTURE
    kBodyStructure,
    kUid,
    kModseq,
    kBodySection,  // BODY[...] / BODY.PEEK[...]
    kBinary,       // BINARY[...] / BINARY.PEEK[...]
    kBinarySize,   // BINARY.SIZE[...]
  };
  Item item = Item::kFlags;
  bool peek = false;
  Section section;
  // <origin.count>; count is at least 1.
  std::optional<std::pair<uint32_t, uint32_t>> partial;
  bool operator==(const FetchAtt&) const = default;
};

struct FetchArgs {
  SequenceSet set;
  std::vector<FetchAtt> atts;             // macros expanded (ALL, FAST, FULL)
  std::optional<uint64_t> changed_since;  // (CHANGEDSINCE n)
  bool vanished = false;                  // (VANISHED), UID FETCH only
};

struct StoreArgs {
  SequenceSet set;
  std::optional<uint64_t> unchanged_since;  // (UNCHANGEDSINCE n)
  enum class Mode { kReplace, kAdd, kRemove };
  Mode mode = Mode::kReplace;
  bool silent = false;
  std::vector<std::string> flags;
};

// SEARCH keys (RFC 3501 6.4.4, MODSEQ RFC 7162 3.1.5).
struct SearchKey {
  enum class Type {
    kAll,
    kAnswered,
    kDeleted,
    kDraft,
    kFlagged,
    kNew,
    kOld,
    kRecent,
    kSeen,
    kUnanswered,
    kUndeleted,
    kUndraft,
    kUnflagged,
    kUnseen,
    kKeyword,
    kUnkeyword,  // text = the keyword
    kBcc,
    kBody,
    kCc,
    kFrom,
    kSubject,
    kText,
    kTo,      // text = the string
    kHeader,  // field, text
    kBefore,
    kOn,
    kSince,
    kSentBefore,
    kSentOn,
    kSentSince,  // date
    kLarger,
    kSmaller,  // number
    kUid,
    kSequenceSet,  // set
    kModseq,       // number (entry name/type ignored)
    kNot,
    kOr,
    kAnd,  // children: 1, 2, n (parenthesised list)
  };
  Type type = Type::kAll;
  std::string field;
  std::string text;
  uint64_t number = 0;
  int32_t date = 0;  // days since 1970-01-01
  SequenceSet set;
  std::vector<SearchKey> children;
};

struct SearchArgs {
  // ESEARCH (RFC 4731) RETURN (...), upper-cased: MIN MAX ALL COUNT (SAVE is
  // not offered); `esearch` tells a RETURN was given at all.
  bool esearch = false;
  std::vector<std::string> return_options;
  std::string charset;  // upper-cased; "" when not given
  SearchKey key;        // several top-level keys are an kAnd
};

struct CopyArgs {  // COPY, MOVE
  SequenceSet set;
  std::string mailbox;
};

struct ExpungeArgs {  // UID EXPUNGE (UIDPLUS) carries a set; EXPUNGE none
  std::optional<SequenceSet> set;
};

struct EnableArgs {
  std::vector<std::string> capabilities;  // upper-cased
};

struct IdArgs {
  // nullopt for "ID NIL"; else field/value pairs, value nullopt for NIL.
  std::optional<std::vector<std::pair<std::string, std::optional<std::string>>>> fields;
};

struct GetQuotaArgs {
  std::string root;
};

// SETQUOTA root (resource limit ...) (RFC 9208 4.5); resource names
// upper-cased.
struct SetQuotaArgs {
  std::string root;
  std::vector<std::pair<std::string, uint64_t>> limits;
};

using Arguments =
    std::variant<std::monostate, LoginArgs, AuthenticateArgs, MailboxArgs, RenameArgs, ListArgs,
                 StatusArgs, AppendArgs, FetchArgs, StoreArgs, SearchArgs, CopyArgs, ExpungeArgs,
                 EnableArgs, IdArgs, GetQuotaArgs, SetQuotaArgs>;

struct Command {
  std::string tag;
  CommandName name = CommandName::kNoop;
  bool uid = false;  // "UID FETCH" etc.: numbers are UIDs
  Arguments args;
};

}  // namespace hm::imap::proto
