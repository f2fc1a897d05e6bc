#include "imap/message/fetch_response.h"

#include <algorithm>

#include "imap/message/fetch_section.h"
#include "imap/message/flag_names.h"
#include "imap/message/message_text.h"
#include "imap/proto/response.h"
#include "mime/bodystructure.h"
#include "mime/envelope.h"

namespace hm::imap {
namespace {

using Item = proto::FetchAtt::Item;

proto::FetchAtt att_of(Item item) {
  proto::FetchAtt att;
  att.item = item;
  return att;
}

// Whether `att` may need more of the message than its header (ENVELOPE,
// RFC822.HEADER and the top-level header sections need only that).
bool needs_text(const proto::FetchAtt& att) {
  using Item = proto::FetchAtt::Item;
  using Text = proto::Section::Text;
  switch (att.item) {
    case Item::kRfc822:
    case Item::kRfc822Text:
    case Item::kBody:
    case Item::kBodyStructure:
    case Item::kBinary:
    case Item::kBinarySize: return true;
    case Item::kBodySection:
      return !att.section.part.empty() ||
             (att.section.text != Text::kHeader && att.section.text != Text::kHeaderFields &&
              att.section.text != Text::kHeaderFieldsNot);
    default: return false;
  }
}

// ENVELOPE, BODY or BODYSTRUCTURE: from the cache, else computed and
// offered to it.
Status append_structure(MessageText& msg, Item item, std::string& out) {
  const std::string_view key = item == Item::kEnvelope ? "envelope"
                               : item == Item::kBody   ? "body"
                                                       : "bodystructure";
  if (!msg.loaded()) {
    if (auto cached = msg.box().cached(msg.uid(), key)) {
      out += *cached;
      return ok();
    }
  }
  std::string value;
  if (item == Item::kEnvelope) {
    // ENVELOPE needs the header only, not the MIME tree.
    auto block = msg.header_block();
    if (!block) return fail(std::move(block).error());
    value = mime::envelope(*block);
  } else {
    auto parsed = msg.message();
    if (!parsed) return fail(std::move(parsed).error());
    value = item == Item::kBody ? mime::body(**parsed) : mime::bodystructure(**parsed);
  }
  out += value;
  msg.box().cache(msg.uid(), key, std::move(value));
  return ok();
}

// "BODY[1.MIME]<0> " (.PEEK is answered without it; a partial shows only
// its origin, RFC 3501 7.4.2).
void append_section_name(std::string& out, std::string_view name, const proto::FetchAtt& att) {
  out += name;
  out += '[';
  out += section_spec(att.section);
  out += ']';
  if (att.partial) {
    out += '<';
    out += std::to_string(att.partial->first);
    out += '>';
  }
  out += ' ';
}

proto::Section section_of(proto::Section::Text text) {
  proto::Section s;
  s.text = text;
  return s;
}

Status append_att(MessageText& msg, const store::MessageMeta& meta, const proto::FetchAtt& att,
                  std::string& out) {
  switch (att.item) {
    case Item::kFlags:
      out += "FLAGS ";
      out += format_flags(meta, msg.box().keywords());
      return ok();
    case Item::kUid:
      out += "UID ";
      out += std::to_string(meta.uid);
      return ok();
    case Item::kModseq:
      out += "MODSEQ (";
      out += std::to_string(meta.modseq);
      out += ')';
      return ok();
    case Item::kInternalDate:
      out += "INTERNALDATE ";
      proto::append_date_time(out, static_cast<std::time_t>(meta.internal_date));
      return ok();
    case Item::kRfc822Size:
      out += "RFC822.SIZE ";
      out += std::to_string(meta.size);
      return ok();
    case Item::kEnvelope: out += "ENVELOPE "; return append_structure(msg, att.item, out);
    case Item::kBody: out += "BODY "; return append_structure(msg, att.item, out);
    case Item::kBodyStructure: out += "BODYSTRUCTURE "; return append_structure(msg, att.item, out);
    // RFC822, RFC822.HEADER and RFC822.TEXT are BODY[], BODY.PEEK[HEADER]
    // and BODY[TEXT] under their old names (RFC 3501 6.4.5).
    case Item::kRfc822:
      out += "RFC822 ";
      return append_body_section(msg, section_of(proto::Section::Text::kNone), std::nullopt, out);
    case Item::kRfc822Header:
      out += "RFC822.HEADER ";
      return append_body_section(msg, section_of(proto::Section::Text::kHeader), std::nullopt, out);
    case Item::kRfc822Text:
      out += "RFC822.TEXT ";
      return append_body_section(msg, section_of(proto::Section::Text::kText), std::nullopt, out);
    case Item::kBodySection:
      append_section_name(out, "BODY", att);
      return append_body_section(msg, att.section, att.partial, out);
    case Item::kBinary:
      append_section_name(out, "BINARY", att);
      return append_binary(msg, att.section, att.partial, out);
    case Item::kBinarySize: {
      auto size = binary_size(msg, att.section);
      if (!size) return fail(std::move(size).error());
      out += "BINARY.SIZE[";
      out += section_spec(att.section);
      out += "] ";
      out += std::to_string(*size);
      return ok();
    }
  }
  return ok();
}

}  // namespace

bool fetch_sets_seen(const std::vector<proto::FetchAtt>& atts) {
  return std::any_of(atts.begin(), atts.end(), [](const proto::FetchAtt& att) {
    switch (att.item) {
      case Item::kBodySection:
      case Item::kBinary: return !att.peek;
      case Item::kRfc822:
      case Item::kRfc822Text: return true;
      default: return false;
    }
  });
}

Status write_fetch(store::Mailbox& box, uint32_t seq, const std::vector<proto::FetchAtt>& atts,
                   const FetchContext& ctx, std::string& out) {
  const auto& messages = box.messages();
  if (seq == 0 || seq > messages.size()) {
    return fail(ErrorKind::kNotFound, "No message " + std::to_string(seq) + " in the mailbox");
  }
  const store::MessageMeta meta = messages[seq - 1];
  // The items in the order written: those the context adds first, then the
  // client's, each once.
  std::vector<proto::FetchAtt> items;
  const auto add = [&items](const proto::FetchAtt& att) {
    if (std::find(items.begin(), items.end(), att) == items.end()) items.push_back(att);
  };
  const auto asked = [&atts](Item item) {
    return std::any_of(atts.begin(), atts.end(),
                       [item](const proto::FetchAtt& a) { return a.item == item; });
  };
  if (ctx.uid_command && !asked(Item::kUid)) add(att_of(Item::kUid));
  if (ctx.flags_changed && !asked(Item::kFlags)) add(att_of(Item::kFlags));
  if (ctx.condstore && !asked(Item::kModseq)) add(att_of(Item::kModseq));
  for (const auto& att : atts) add(att);

  const size_t start = out.size();
  out += "* ";
  out += std::to_string(seq);
  out += " FETCH (";
  MessageText msg(box, meta.uid);
  if (std::any_of(items.begin(), items.end(), needs_text)) msg.want_text();
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ' ';
    Status s = append_att(msg, meta, items[i], out);
    if (!s) {
      out.resize(start);  // nothing of a response that cannot be completed
      return s;
    }
  }
  out += ")\r\n";
  return ok();
}

}  // namespace hm::imap
