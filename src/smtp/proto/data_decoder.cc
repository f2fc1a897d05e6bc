#include "smtp/proto/data_decoder.h"

namespace hm::smtp::proto {

DataDecoder::DataDecoder(size_t max_message_size, size_t max_line_length)
    : max_size_(max_message_size), max_line_(max_line_length) {}

void DataDecoder::reset() {
  message_.clear();
  size_ = 0;
  line_len_ = 0;
  state_ = State::kLineStart;
  too_big_ = false;
  line_too_long_ = false;
  bare_line_ends_ = 0;
  nul_bytes_ = 0;
}

void DataDecoder::count_line(size_t octets) {
  line_len_ += octets;
  // The limit includes the CRLF that will end the line.
  if (max_line_ != 0 && line_len_ + 2 > max_line_) line_too_long_ = true;
}

void DataDecoder::emit(std::string_view bytes) {
  size_ += bytes.size();
  if (too_big_) return;
  if (max_size_ != 0 && size_ > max_size_) {
    // Stop storing but keep scanning: the session must still find the end
    // marker to stay in step with the client before it answers 552.
    too_big_ = true;
    std::string().swap(message_);
    return;
  }
  message_.append(bytes);
}

void DataDecoder::emit_line_end() {
  emit("\r\n");
  line_len_ = 0;
}

size_t DataDecoder::feed(std::string_view input) {
  size_t i = 0;
  const size_t n = input.size();
  while (i < n && state_ != State::kDone) {
    const char c = input[i];
    switch (state_) {
      case State::kLineStart:
        if (c == '.') {
          // Not counted: a stuffing dot is transport, not part of the line
          // (RFC 5321 4.5.3.1.6), and the end marker is no line at all.
          state_ = State::kDot;
          ++i;
        } else {
          state_ = State::kMid;  // the same byte is looked at again as content
        }
        break;

      case State::kDot:
        if (c == '\r') {
          state_ = State::kDotCr;
          ++i;
        } else {
          // A stuffing dot (RFC 5321 4.5.2): dropped; the byte is content.
          state_ = State::kMid;
        }
        break;

      case State::kDotCr:
        if (c == '\n') {
          state_ = State::kDone;
          ++i;
        } else {
          // "." then a bare CR: the dot was stuffing, the CR is a bare line
          // end and becomes CRLF; the line after it is not a real line start.
          ++bare_line_ends_;
          emit_line_end();
          state_ = State::kMid;
        }
        break;

      case State::kCr:
        if (c == '\n') {
          emit_line_end();
          state_ = State::kLineStart;
          ++i;
        } else {
          ++bare_line_ends_;
          emit_line_end();
          state_ = State::kMid;
        }
        break;

      case State::kMid: {
        if (c == '\r') {
          state_ = State::kCr;
          ++i;
        } else if (c == '\n') {
          ++bare_line_ends_;
          emit_line_end();
          ++i;
        } else if (c == '\0') {
          ++nul_bytes_;
          count_line(1);
          emit(" ");
          ++i;
        } else {
          // Fast path: copy the run of ordinary bytes in one go.
          size_t j = i + 1;
          while (j < n && input[j] != '\r' && input[j] != '\n' && input[j] != '\0') ++j;
          const std::string_view run = input.substr(i, j - i);
          count_line(run.size());
          emit(run);
          i = j;
        }
        break;
      }

      case State::kDone: break;
    }
  }
  return i;
}

}  // namespace hm::smtp::proto
