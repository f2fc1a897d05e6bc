#pragma once
// A message in the form the store keeps it: Unix line ends (LF), as Courier
// and Dovecot read a Maildir and as a local mailbox command (procmail) wants
// it on its standard input. Mail arrives and is queued in wire form (CRLF);
// this is the one place where it takes its stored form (base/line_ends.h
// converts), in one pass that also counts the lines, so the size with CRLF
// line ends (IMAP's RFC822.SIZE, the ",W=" of a Maildir name) is known
// without reading the bytes again.
//
// Thread-safety: a value; const methods may be used from any thread.

#include <cstddef>
#include <string>
#include <string_view>

namespace hm::store {

class StoredMessage {
 public:
  // The stored form of `prefix` (header lines the delivery puts on top,
  // e.g. Return-Path: and Delivered-To:) followed by `wire`, both with CRLF
  // line ends. One copy, made here.
  static StoredMessage from_wire(std::string_view prefix, std::string_view wire);
  // Text that is in the stored form already (a local delivery reads it back
  // from the memfd the daemon made with from_wire). Taken over, not copied.
  static StoredMessage from_stored(std::string text);

  std::string_view text() const { return text_; }
  size_t size() const { return text_.size(); }          // as stored (",S=")
  size_t wire_size() const { return size() + lines_; }  // with CRLF (",W=")

 private:
  StoredMessage(std::string text, size_t lines) : text_(std::move(text)), lines_(lines) {}
  std::string text_;
  size_t lines_;
};

}  // namespace hm::store
