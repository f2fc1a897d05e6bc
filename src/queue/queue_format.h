#pragma once
// The queue's envelope file, as text (docs/queue-format.md is the
// specification; this is its only reader and writer in C++).
//
// Pure functions, no I/O: thread-safe.

#include <string>
#include <string_view>

#include "base/result.h"
#include "queue/queue.h"

namespace hm::queue::format {

// The first line of every envelope written now. Version 2 added the route
// (transport and next hop) to each rcpt line.
inline constexpr std::string_view kMagic = "hostmail-queue 2";
// Envelopes written before routes existed: still read (a queue survives an
// upgrade), never written. Their routes are inferred (route_of_v1).
inline constexpr std::string_view kMagicV1 = "hostmail-queue 1";

// One field, safe between spaces on one line: '%', space, control bytes, DEL
// and every byte >= 0x80 become %XX; "" becomes "-" and "-" becomes "%2D".
std::string encode_field(std::string_view raw);
// Like encode_field, but spaces stay as they are (the last, free-text field).
std::string encode_text(std::string_view raw);
// The inverse of both; kInvalid on a bad escape.
Result<std::string> decode(std::string_view field);

// The on-disk word of a kFailed recipient with `bounced` set. The other
// states are written with state_name().
inline constexpr std::string_view kBouncedState = "bounced";

std::string_view state_name(QueuedRecipient::State state);
Result<QueuedRecipient::State> parse_state(std::string_view name);

// A route as one word of an rcpt line: "virtual", "local", or "remote:" and
// the next hop encoded as encode_field does ("remote:example.org",
// "remote:[relay.example]:587"; "remote:-" for an empty one).
std::string route_word(const Route& route);
// The inverse; kInvalid for an unknown transport or a bad escape.
Result<Route> parse_route(std::string_view word);
// The route of a recipient of a version 1 envelope, which had none: a bare
// name is a local account, an address is resolved again at its next retry
// (kVirtual), which sends it to the remote transport if it is not hosted.
Route route_of_v1(std::string_view address);

// The envelope of `entry` (its id and size are not written: they are the
// file's name and the message file's length). Ends with the blank line.
std::string write_envelope(const QueueEntry& entry);
// Parses an envelope written by write_envelope, in this version or version 1
// (docs/queue-format.md); id and size stay unset.
// kInvalid, naming the line, on anything else, including a missing final
// blank line (a torn file).
Result<QueueEntry> parse_envelope(std::string_view text);

}  // namespace hm::queue::format
