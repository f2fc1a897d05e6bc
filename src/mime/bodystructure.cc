#include "mime/bodystructure.h"

#include "mime/envelope.h"
#include "mime/imap_string.h"

namespace hm::mime {
namespace {

void append_params(std::string& out, const std::vector<Param>& params) {
  if (params.empty()) {
    out += "NIL";
    return;
  }
  out.push_back('(');
  bool first = true;
  for (const auto& p : params) {
    if (!first) out.push_back(' ');
    first = false;
    append_imap_string(out, p.name);
    out.push_back(' ');
    append_imap_string(out, p.value);
  }
  out.push_back(')');
}

// body-fld-dsk SP body-fld-lang SP body-fld-loc, shared by both kinds.
void append_dsp_lang_loc(std::string& out, const Part& p) {
  out.push_back(' ');
  if (p.disposition.empty()) {
    out += "NIL";
  } else {
    out.push_back('(');
    append_imap_string(out, p.disposition);
    out.push_back(' ');
    append_params(out, p.disposition_params);
    out.push_back(')');
  }
  out.push_back(' ');
  if (p.languages.empty()) {
    out += "NIL";
  } else {
    // Always a list, even of one, as Dovecot sends it (the grammar allows
    // both).
    out.push_back('(');
    for (size_t i = 0; i < p.languages.size(); ++i) {
      if (i > 0) out.push_back(' ');
      append_imap_string(out, p.languages[i]);
    }
    out.push_back(')');
  }
  out.push_back(' ');
  append_imap_nstring(out, p.location);
}

void append_part(std::string& out, const Message& m, const Part& p, bool extended) {
  out.push_back('(');
  if (p.is_multipart()) {
    for (const auto& c : p.children) append_part(out, m, c, extended);
    out.push_back(' ');
    append_imap_string(out, p.subtype);
    if (extended) {
      out.push_back(' ');
      append_params(out, p.params);
      append_dsp_lang_loc(out, p);
    }
    out.push_back(')');
    return;
  }
  append_imap_string(out, p.type);
  out.push_back(' ');
  append_imap_string(out, p.subtype);
  out.push_back(' ');
  append_params(out, p.params);
  out.push_back(' ');
  append_imap_nstring(out, p.id);
  out.push_back(' ');
  append_imap_nstring(out, p.description);
  out.push_back(' ');
  append_imap_string(out,
                     p.encoding.empty() ? std::string_view("7bit") : std::string_view(p.encoding));
  out.push_back(' ');
  out += std::to_string(p.body.crlf_size);
  if (p.is_message_rfc822() && !p.children.empty()) {
    const Part& inner = p.children[0];
    out.push_back(' ');
    append_envelope(out, m.text(inner.header));
    out.push_back(' ');
    append_part(out, m, inner, extended);
    out.push_back(' ');
    out += std::to_string(p.lines);
  } else if (p.type == "text") {
    out.push_back(' ');
    out += std::to_string(p.lines);
  }
  if (extended) {
    out.push_back(' ');
    append_imap_nstring(out, p.md5);
    append_dsp_lang_loc(out, p);
  }
  out.push_back(')');
}

}  // namespace

void append_bodystructure(std::string& out, const Message& m, bool extended) {
  append_part(out, m, m.root(), extended);
}

std::string bodystructure(const Message& m) {
  std::string out;
  append_bodystructure(out, m, true);
  return out;
}

std::string body(const Message& m) {
  std::string out;
  append_bodystructure(out, m, false);
  return out;
}

}  // namespace hm::mime
