#include "imap/proto/command_reader.h"

#include <algorithm>
#include <optional>

#include "imap/proto/lexer.h"

namespace hm::imap::proto {

namespace {

// The longest literal announcement recognised at a line end while a line is
// skipped: "{" + 20 digits + "+}".
constexpr size_t kTailKeep = 24;

struct Literal {
  uint64_t size = 0;
  bool synchronizing = true;
};

// "{123}" or "{123+}" at the very end of `line`; nullopt when the line does
// not end with one. A number too large for 64 bits is taken as the largest,
// which every limit refuses.
std::optional<Literal> trailing_literal(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  line.remove_suffix(1);
  Literal literal;
  if (!line.empty() && line.back() == '+') {
    literal.synchronizing = false;
    line.remove_suffix(1);
  }
  size_t digits = 0;
  while (digits < line.size() && line[line.size() - 1 - digits] >= '0' &&
         line[line.size() - 1 - digits] <= '9') {
    ++digits;
  }
  if (digits == 0 || digits == line.size() || line[line.size() - 1 - digits] != '{') {
    return std::nullopt;
  }
  for (char c : line.substr(line.size() - digits)) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (literal.size > (UINT64_MAX - d) / 10) {
      literal.size = UINT64_MAX;
      break;
    }
    literal.size = literal.size * 10 + d;
  }
  return literal;
}

// tag = 1*<any ASTRING-CHAR except "+"> (RFC 3501 9); ASTRING-CHAR is
// ATOM-CHAR or "]".
bool is_tag_char(unsigned char c) { return (is_atom_char(c) || c == ']') && c != '+'; }

}  // namespace

std::string_view tag_of(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && is_tag_char(static_cast<unsigned char>(line[n]))) ++n;
  if (n == 0 || (n < line.size() && line[n] != ' ' && line[n] != '\r' && line[n] != '\n')) {
    return {};
  }
  return line.substr(0, n);
}

void CommandReader::start_command() {
  command_.clear();
  line_start_ = 0;
  state_ = State::kLine;
}

std::string_view CommandReader::current_line() const {
  return std::string_view(command_).substr(line_start_);
}

CommandReader::Step CommandReader::fail(size_t consumed, Status status, std::string_view code,
                                        std::string text, bool skip_rest) {
  // The tag is read from the first line as far as the line limit: a "tag"
  // that fills it whole was cut and is not echoed.
  const std::string_view head = std::string_view(command_).substr(0, limits_.max_line_length);
  std::string_view tag = tag_of(head);
  if (tag.size() == head.size()) tag = {};
  error_ = make_response(tag, status, code, text);
  command_.clear();
  line_start_ = 0;
  if (skip_rest) {
    return {Event::kNeedMore, consumed};  // the caller goes on skipping
  }
  state_ = State::kLine;
  done_ = true;
  return {Event::kError, consumed};
}

CommandReader::Step CommandReader::end_of_line(size_t consumed) {
  if (!command_.empty() && command_.size() > line_start_ && command_.back() == '\r') {
    command_.pop_back();
  }
  if (plain_line_) {
    plain_line_ = false;
    done_ = true;
    return {Event::kCommand, consumed};
  }
  const auto literal = trailing_literal(current_line());
  if (!literal) {
    done_ = true;
    return {Event::kCommand, consumed};
  }
  // Over a limit: a synchronizing literal is refused before the client sends
  // it (the command ends here); a non-synchronizing one is on its way and
  // is counted away with the rest of the command.
  const bool too_big = literal->size > limits_.max_literal_size;
  const bool command_too_big =
      !too_big && command_.size() + 2 + literal->size > limits_.max_command_size;
  if (too_big || command_too_big) {
    const Step step =
        too_big
            ? fail(consumed, Status::kNo, "TOOBIG",
                   "Literal of " + std::to_string(literal->size) + " octets is over the limit of " +
                       std::to_string(limits_.max_literal_size),
                   !literal->synchronizing)
            : fail(consumed, Status::kBad, "",
                   "Command longer than " + std::to_string(limits_.max_command_size) + " octets",
                   !literal->synchronizing);
    if (!literal->synchronizing) {
      state_ = State::kDiscardLiteral;
      literal_remaining_ = literal->size;
    }
    return step;
  }
  command_ += "\r\n";
  literal_remaining_ = literal->size;
  state_ = State::kLiteral;
  if (literal->synchronizing) return {Event::kContinuation, consumed};
  return {Event::kNeedMore, consumed};
}

CommandReader::Step CommandReader::feed(std::string_view in) {
  if (done_) {
    start_command();
    done_ = false;
  }
  size_t i = 0;
  while (i < in.size()) {
    switch (state_) {
      case State::kLine: {
        const size_t lf = in.find('\n', i);
        const size_t end = lf == std::string_view::npos ? in.size() : lf;
        // Never hold more than the limits plus the byte that shows they
        // are passed (and one of slack for the CR of a CRLF not yet seen
        // whole): the excess of an over-long line is skipped, not stored.
        const size_t line_room = limits_.max_line_length + 2 - (command_.size() - line_start_);
        const size_t command_room = limits_.max_command_size + 1 - command_.size();
        const size_t take = std::min({end - i, line_room, command_room});
        command_.append(in.data() + i, take);
        i += take;
        const size_t length = command_.size() - line_start_;
        const bool over = length > limits_.max_line_length + 1 ||
                          (length == limits_.max_line_length + 1 && command_.back() != '\r');
        if (over || command_.size() > limits_.max_command_size) {
          tail_.assign(current_line().substr(current_line().size() - std::min(kTailKeep, length)));
          (void)fail(
              i, Status::kBad, "",
              over ? "Command line longer than " + std::to_string(limits_.max_line_length) +
                         " octets"
                   : "Command longer than " + std::to_string(limits_.max_command_size) + " octets",
              true);
          plain_line_ = false;
          state_ = State::kDiscardLine;
          break;
        }
        if (lf == std::string_view::npos) break;
        ++i;  // the LF
        const Step step = end_of_line(i);
        if (step.event != Event::kNeedMore) return step;
        break;
      }
      case State::kLiteral: {
        const size_t take =
            static_cast<size_t>(std::min<uint64_t>(literal_remaining_, in.size() - i));
        command_.append(in.data() + i, take);
        i += take;
        literal_remaining_ -= take;
        if (literal_remaining_ == 0) {
          state_ = State::kLine;
          line_start_ = command_.size();
        }
        break;
      }
      case State::kDiscardLine: {
        const size_t lf = in.find('\n', i);
        const size_t end = lf == std::string_view::npos ? in.size() : lf;
        const std::string_view chunk = in.substr(i, end - i);
        tail_.append(chunk.substr(chunk.size() - std::min(kTailKeep, chunk.size())));
        if (tail_.size() > kTailKeep) tail_.erase(0, tail_.size() - kTailKeep);
        i = end;
        if (lf == std::string_view::npos) break;
        ++i;
        if (!tail_.empty() && tail_.back() == '\r') tail_.pop_back();
        const auto literal = trailing_literal(tail_);
        tail_.clear();
        if (literal && !literal->synchronizing) {
          state_ = State::kDiscardLiteral;
          literal_remaining_ = literal->size;
          break;
        }
        // The command ends here (a synchronizing literal is never sent: the
        // client gets the error instead of "+").
        state_ = State::kLine;
        done_ = true;
        return {Event::kError, i};
      }
      case State::kDiscardLiteral: {
        const uint64_t skip = std::min<uint64_t>(literal_remaining_, in.size() - i);
        i += static_cast<size_t>(skip);
        literal_remaining_ -= skip;
        if (literal_remaining_ == 0) {
          state_ = State::kDiscardLine;
          tail_.clear();
        }
        break;
      }
    }
  }
  return {Event::kNeedMore, i};
}

}  // namespace hm::imap::proto
