// Mail -> text: parse with mimetic, choose the first text/plain part that is not an attachment,
// undo its transfer encoding and charset, and lay the text out for an SMS.
#include "core/mail/mail_text.hpp"

#include <mimetic/mimeentity.h>
#include <mimetic/parser/itparser.h>

#include <algorithm>
#include <exception>

#include "core/mail/ascii_text.hpp"
#include "core/mail/body_layout.hpp"
#include "core/mail/charset.hpp"
#include "core/mail/rfc2047.hpp"
#include "core/mail/transfer_encoding.hpp"

namespace mail2sms::mail {
namespace {

constexpr std::string_view no_text_error = "the mail has no text to send";
constexpr std::string_view html_only_error =
    "the mail has no text/plain part (HTML-only mail is not supported yet); send it as plain text";
constexpr std::string_view unreadable_error =
    "the mail could not be read as a MIME message; send it as plain text";
constexpr std::string_view too_many_parts_error =
    "the mail has too many MIME parts to read (more than 256); send it as plain text";

// mimetic parses nested multipart and message/rfc822 parts recursively, one stack frame per level
// (a 1 MiB mail can nest 30,000 deep and overflow a thread's stack): bound the nesting before it
// sees the mail. Each level needs its own Content-Type field, so their count bounds the depth.
constexpr std::size_t max_content_types = 256;

template <class Traits>
std::string_view view(const std::basic_string<char, Traits>& text) {
  return {text.data(), text.size()};
}

std::size_t count_nocase(std::string_view text, std::string_view needle) {
  std::size_t count = 0;
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
    if (iequals(text.substr(i, needle.size()), needle)) ++count;
  }
  return count;
}

// A header's value as it stands: unfolded, trimmed, valid UTF-8 (raw 8-bit bytes in headers are
// read as in to_utf8 with no charset).
std::string header_value(const mimetic::MimeEntity& entity, const char* name) {
  if (!entity.header().hasField(name)) return {};
  std::string value = entity.header().field(name).value();
  value.erase(
      std::remove_if(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n'; }),
      value.end());
  return to_utf8(trim(value), "");
}

bool is_attachment(const mimetic::MimeEntity& entity) {
  return iequals(view(entity.header().contentDisposition().type()), "attachment");
}

// RFC 2045: no Content-Type, or one that does not parse, means text/plain.
bool is_plain_text(const mimetic::MimeEntity& entity) {
  const auto& type = entity.header().contentType();
  if (!entity.header().hasField("Content-Type") || type.subtype().empty()) return true;
  return iequals(view(type.type()), "text") && iequals(view(type.subtype()), "plain");
}

bool is_html(const mimetic::MimeEntity& entity) {
  const auto& type = entity.header().contentType();
  return iequals(view(type.type()), "text") && iequals(view(type.subtype()), "html");
}

// What the walk through the parts found: the first text/plain part, and whether there was HTML
// (to say why a mail without text/plain is refused).
struct part_search {
  const mimetic::MimeEntity* plain = nullptr;
  bool saw_html = false;
};

void find_text_part(const mimetic::MimeEntity& entity, part_search& search) {
  if (search.plain != nullptr || is_attachment(entity)) return;
  if (entity.header().contentType().isMultipart()) {
    for (const mimetic::MimeEntity* part : entity.body().parts()) {
      find_text_part(*part, search);
    }
  } else if (is_plain_text(entity)) {
    search.plain = &entity;
  } else if (is_html(entity)) {
    search.saw_html = true;
  }
}

// The part's text, decoded from its transfer encoding and charset, laid out for an SMS.
std::string body_text(const mimetic::MimeEntity& part) {
  const auto& type = part.header().contentType();
  const std::string bytes = decode_transfer_encoding(
      part.body(), view(part.header().contentTransferEncoding().mechanism()));
  std::string text = to_utf8(bytes, type.param("charset"));
  if (iequals(trim(type.param("format")), "flowed")) {
    text = unflow(text, iequals(trim(type.param("delsp")), "yes"));
  }
  return normalise_body(text);
}

result<mail_text, std::string> extract_parsed(const mimetic::MimeEntity& entity) {
  mail_text text;
  text.subject = decode_header_text(entity.header().subject());
  text.message_id = header_value(entity, "Message-ID");
  text.from = header_value(entity, "From");
  part_search search;
  find_text_part(entity, search);
  if (search.plain == nullptr && search.saw_html) return fail(std::string(html_only_error));
  if (search.plain != nullptr) text.body = body_text(*search.plain);
  if (text.body.empty() && text.subject.empty()) return fail(std::string(no_text_error));
  return text;
}

}  // namespace

result<mail_text, std::string> extract_text(std::string_view rfc5322) {
  if (count_nocase(rfc5322, "content-type") > max_content_types) {
    return fail(std::string(too_many_parts_error));
  }
  // mimetic throws on some malformed input; a mail is untrusted input, so any exception is that
  // mail's fault and becomes its refusal, never the session's end.
  try {
    // Construct first, then load: when mimetic throws inside its constructor the parts it has
    // already allocated are never freed; from load() the destructor frees them.
    mimetic::MimeEntity entity;
    entity.load(rfc5322.begin(), rfc5322.end());
    return extract_parsed(entity);
  } catch (const std::exception&) {
    return fail(std::string(unreadable_error));
  }
}

}  // namespace mail2sms::mail
