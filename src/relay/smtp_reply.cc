#include "relay/smtp_reply.h"

#include <fmt/format.h>

#include <charconv>

#include "base/strings.h"

namespace hm::relay {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

Error broken(std::string_view why, std::string_view line) {
  // The line goes to the log only, cut: it is the peer's.
  return Error(ErrorKind::kInvalid, fmt::format("the server's reply is malformed: {}", why),
               std::string(line.substr(0, 200)));
}

}  // namespace

std::string Reply::text() const {
  std::string out = std::to_string(code);
  for (const std::string& line : lines) {
    out += ' ';
    out += trim(line);
  }
  return out;
}

std::optional<Result<Reply>> take_reply(std::string& buffer) {
  Reply reply;
  size_t pos = 0;
  while (true) {
    size_t newline = buffer.find('\n', pos);
    if (newline == std::string::npos) {
      if (buffer.size() - pos > kMaxReplyLine) {
        return Result<Reply>(fail(broken("a line is too long", buffer.substr(pos, 200))));
      }
      return std::nullopt;
    }
    std::string_view line(buffer.data() + pos, newline - pos);
    if (line.size() + 1 > kMaxReplyLine)
      return Result<Reply>(fail(broken("a line is too long", line)));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2]) ||
        (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
      return Result<Reply>(fail(broken("a line does not start with a reply code", line)));
    }
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (code < 200 || code > 599) return Result<Reply>(fail(broken("an unknown reply code", line)));
    if (reply.code != 0 && code != reply.code) {
      return Result<Reply>(fail(broken("the code changes between lines", line)));
    }
    reply.code = code;
    reply.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
    pos = newline + 1;
    bool last = line.size() == 3 || line[3] == ' ';
    if (last) {
      buffer.erase(0, pos);
      return Result<Reply>(std::move(reply));
    }
    if (reply.lines.size() >= kMaxReplyLines) {
      return Result<Reply>(fail(broken("too many lines", line)));
    }
  }
}

Capabilities parse_ehlo(const Reply& reply) {
  Capabilities caps;
  // The first line is the server's greeting; each later one a keyword and
  // its parameters.
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    std::string_view line = trim(reply.lines[i]);
    size_t space = line.find(' ');
    std::string keyword = ascii_lower(line.substr(0, space));
    std::string_view params = space == std::string_view::npos ? "" : trim(line.substr(space + 1));
    if (keyword == "pipelining") caps.pipelining = true;
    if (keyword == "starttls") caps.starttls = true;
    if (keyword == "8bitmime") caps.eight_bit_mime = true;
    if (keyword == "smtputf8") caps.smtputf8 = true;
    if (keyword == "size") {
      caps.size = true;
      uint64_t limit = 0;
      auto [end, error] = std::from_chars(params.data(), params.data() + params.size(), limit);
      caps.max_size = error == std::errc() && end == params.data() + params.size() ? limit : 0;
    }
  }
  return caps;
}

}  // namespace hm::relay
