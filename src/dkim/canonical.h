#pragma once
// The "relaxed" canonicalizations of RFC 6376 (3.4.2 for header fields,
// 3.4.4 for the body): what a DKIM signature really covers, so every byte
// here decides whether receivers accept our mail. No I/O, no allocation per
// line; pure functions, thread-safe.
//
// Line ends are CRLF. A bare CR or LF is an ordinary byte here (it is not
// white space and ends no line): the message is signed as the SMTP client
// will send it, and what a receiver's verifier then sees is its own affair.

#include <functional>
#include <string>
#include <string_view>

namespace hm::dkim {

// Appends the relaxed form of one header field to `out`: the name in lower
// case, no white space around the colon, the value unfolded (every CRLF
// removed), each run of SP/HTAB made one SP, and none at the value's ends;
// then CRLF when `crlf` (the DKIM-Signature field itself is hashed without
// it). `field` is the field as it stands in the message, "Name: value" with
// its folding, without the CRLF that ends it. A field without a colon is
// taken as a name with an empty value.
void append_relaxed_header(std::string& out, std::string_view field, bool crlf = true);

// Where the canonical body goes, piece by piece (a hash update, a string).
using BodySink = std::function<void(std::string_view)>;

// Feeds the relaxed form of `body` (everything after the empty line that
// ends the header) to `sink`: white space at line ends removed, other runs
// of SP/HTAB made one SP, and the empty lines at the end left out. An empty
// body, or one of empty lines, is the empty string. A body whose last line
// lacks its CRLF is canonicalized as if it had it: SMTP cannot carry a
// message that does not end in CRLF, so the receiver will see it there.
// The sink gets pieces of at most a few KiB; the body is never copied
// whole.
void relaxed_body(std::string_view body, const BodySink& sink);

// The same into a string (for tests and short bodies).
std::string relaxed_body(std::string_view body);

}  // namespace hm::dkim
