#pragma once
// Courier-IMAP's account files that hostmail reads in place when a site
// moves from Courier (docs/store-format.md, "Migrating from Courier and
// Dovecot"); they are never written or removed, so the site can switch back.
//
//   courierimapsubscribed  the subscriptions, one name per line as Courier's
//                          clients saw them: "INBOX" and "INBOX.<folder>"
//   courierimapkeywords/:list
//                          the folder's keywords: their names, one a line,
//                          an empty line, then "<file name>:<index> ..."
//                          per message (indexes into the names)
//   courierimapacl         per-folder ACLs: hostmail has none, so a folder's
//                          file is only reported (logged) and ignored
//
// Thread-safety: pure functions.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hm::store::maildir {

inline constexpr const char* kCourierSubscribedName = "courierimapsubscribed";
inline constexpr const char* kCourierAclName = "courierimapacl";
inline constexpr const char* kCourierKeywordsDir = "courierimapkeywords";
inline constexpr const char* kCourierKeywordsList = ":list";

// The subscriptions of Courier's file in hostmail's form ("INBOX", "A.B"):
// the "INBOX." prefix of Courier's private namespace is taken off, so they
// follow hostmail's namespace setting like any other. Names outside it
// (Courier's shared folders, which hostmail does not have) are left out,
// each adding a line to `skipped`.
std::vector<std::string> parse_courier_subscriptions(std::string_view text,
                                                     std::vector<std::string>& skipped);

// Each message's keyword names by base name (the file name's info cut
// off), from the text of courierimapkeywords/:list. Indexes that name no
// keyword and lines that do not fit are skipped. (Courier's per-message
// update files beside :list, written between two rewrites of it, are not
// read yet.)
std::map<std::string, std::vector<std::string>> parse_courier_keywords(std::string_view text);

}  // namespace hm::store::maildir
