#pragma once
// The day of an RFC 5322 Date: field, for SEARCH SENTBEFORE/SENTON/
// SENTSINCE, which compare dates "disregarding time and timezone"
// (RFC 3501 6.4.4): the day as written, in days since 1970-01-01.
//
// Lenient as mail is: an optional day name, "day month year" with the month
// by its English abbreviation in any case, two- and three-digit years per
// RFC 5322 4.3 (00-49: 20xx, 50-999: +1900), comments and extra blanks
// ignored. Anything else is nullopt (such a message matches no SENT* key).
//
// Thread-safety: pure function.

#include <cstdint>
#include <optional>
#include <string_view>

namespace hm::imap {

std::optional<int32_t> sent_day(std::string_view date_field);

}  // namespace hm::imap
