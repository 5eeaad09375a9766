// Mail -> text: parse with mimetic, choose the part that holds the text (see choose_part), undo its
// transfer encoding and charset, convert HTML, lay the text out and clean it for an SMS.
#include "core/mail/mail_text.hpp"

#include <mimetic/mimeentity.h>
#include <mimetic/parser/itparser.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <exception>

#include "core/mail/ascii_text.hpp"
#include "core/mail/body_layout.hpp"
#include "core/mail/charset.hpp"
#include "core/mail/html_text.hpp"
#include "core/mail/mime_params.hpp"
#include "core/mail/rfc2047.hpp"
#include "core/mail/text_cleaning.hpp"
#include "core/mail/transfer_encoding.hpp"

namespace mail2sms::mail {
namespace {

constexpr std::string_view no_text_error = "the mail has no text to send";
constexpr std::string_view unreadable_error =
    "the mail could not be read as a MIME message; send it as plain text";
constexpr std::string_view too_many_parts_error =
    "the mail has too many MIME parts to read (more than 256); send it as plain text";
constexpr std::string_view header_too_long_error =
    "the mail has a header field longer than 102400 octets; send it with shorter headers";
constexpr std::string_view html_too_large_error =
    "the mail's HTML is too large or too deeply formatted to convert; send it as plain text";
constexpr std::string_view too_deep_error =
    "the mail's text is nested more than 16 MIME levels deep; send it nearer the top of the mail";
constexpr std::string_view no_text_part_error =
    "the mail has no text part (only attachments or content that is not text); "
    "write the SMS in the body";

// mimetic parses nested multipart and message/rfc822 parts recursively, one stack frame per level
// (a 1 MiB mail can nest 30,000 deep and overflow a thread's stack): bound the nesting before it
// sees the mail. Each level needs its own Content-Type field naming multipart or message, so the
// count of those bounds the depth (see count_nesting_types).
constexpr std::size_t max_nesting_types = 256;
// mimetic grows a header field's value 128 octets at a time, copying it each time: a field
// folded over many lines costs the square of its length (1 MiB, over a second of CPU). Postfix
// keeps 102,400 octets of a header (header_size_limit); a mail with more in one field is refused
// (see longest_header_field).
constexpr std::size_t max_header_field = 102400;
// How deep the search for the text goes into multiparts and forwarded messages; deeper parts are
// not read (no mail agent nests this deep; a forward of a forward of a forward is 6 levels).
constexpr int max_depth = 16;

template <class Traits>
std::string_view view(const std::basic_string<char, Traits>& text) {
  return {text.data(), text.size()};
}

// The first letter after `at` (skipping everything that is not one) is an m: where mimetic
// reads a type from a field's value, "multipart" and "message" are the types it nests for.
bool names_nesting_type(std::string_view text, std::size_t at) {
  while (at < text.size() && !(ascii_lower(text[at]) >= 'a' && ascii_lower(text[at]) <= 'z')) ++at;
  return at < text.size() && ascii_lower(text[at]) == 'm';
}

// How many Content-Type fields could name a multipart or a message:
//  - "content-type" in any case, at any offset (mimetic finds a boundary anywhere in a line, so
//    the header of the next part can begin mid-line), whose first letter after it is an m.
//    mimetic nests only for the types "multipart" and "message", which it reads from the first
//    octet of the field's value, after the colon and the blanks before and after it: so every
//    field it nests for is counted, and a text attachment quoting "Content-Type: text/plain" a
//    thousand times is not.
//  - a colon after a blank whose value's first letter is an m. A header section whose first
//    line is a field without a name (" : multipart/mixed; boundary=b") gives its value to the
//    next field mimetic reads, and a "Content-Type:" with nothing after it then nests (session
//    31's review). That line may follow a boundary mid-line too, so any colon after a blank
//    counts: a few prose lines ("Note : merci") more, never a nesting field fewer.
// Only the offsets holding a 'c', 'C' or ':' are compared, found with (vectorised) finds kept
// until passed.
std::size_t count_nesting_types(std::string_view text) {
  constexpr std::string_view needle = "content-type";
  std::size_t count = 0;
  std::size_t next_lower = text.find('c');
  std::size_t next_upper = text.find('C');
  std::size_t next_colon = text.find(':');
  for (std::size_t i = std::min({next_lower, next_upper, next_colon}); i != std::string_view::npos;
       i = std::min({next_lower, next_upper, next_colon})) {
    if (i == next_colon) {
      // Only blanks and line breaks are passed over here (mimetic eats the blanks before a
      // value, and a folded one begins after a line break): so a run of " : : : ..." is read
      // once, not once for every colon in it.
      std::size_t at = i + 1;
      while (at < text.size() &&
             (text[at] == ' ' || text[at] == '\t' || text[at] == '\r' || text[at] == '\n'))
        ++at;
      if (i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t') && at < text.size() &&
          ascii_lower(text[at]) == 'm')
        ++count;
      next_colon = text.find(':', i + 1);
      continue;
    }
    if (text.size() - i >= needle.size() && iequals(text.substr(i, needle.size()), needle) &&
        names_nesting_type(text, i + needle.size()))
      ++count;
    if (i == next_lower) {
      next_lower = text.find('c', i + 1);
    } else {
      next_upper = text.find('C', i + 1);
    }
  }
  return count;
}

// Whether mimetic reads the mail itself as a multipart or a message/rfc822, and so would parse
// parts under it: its own reading of the mail's header (whatever a malformed one makes of it),
// with the parts skipped, not parsed, so nothing nests. The expression is mimetic's getType().
bool mail_nests(std::string_view text) {
  try {
    mimetic::MimeEntity top;
    top.load(text.begin(), text.end(),
             mimetic::imBody | mimetic::imChildParts | mimetic::imPreamble | mimetic::imEpilogue);
    const mimetic::ContentType& ct = top.header().contentType();
    return ct.isMultipart() || (ct.type() == "message" && ct.subtype() == "rfc822");
  } catch (const std::exception&) {
    return true;  // not known to be flat: counted as before
  }
}

// The longest header field the mail could hold, in octets: a line and the lines after it that
// begin with a space or a tab (mimetic's folding; a line break is CR, LF, CRLF or LFCR, as
// mimetic reads them), counted only where mimetic may be reading a header:
//  - from the start of the mail to its first empty line;
//  - from any line that begins with "--" (a boundary, after which a part's header begins, on
//    the same line or the next) to the next empty line;
//  - after the empty line that ends a header section naming a type that nests (message/rfc822
//    or a multipart, as count_nesting_types finds them): a forwarded message's own header
//    follows it.
// An indented body (a pretty-printed HTML report) is not a header, and is not counted.
// A header section whose first line begins with a blank (" : value", a field without a name)
// gives mimetic a field it never adds, and whose value it never clears: the next field's value
// is appended to it. So such a line and the lines folded under it count with the next field
// (lines beginning with ':', which mimetic skips, in between), and so does a boundary line (a
// part's header can begin on it, after the boundary).
std::size_t longest_header_field(std::string_view text) {
  std::size_t longest = 0, run = 0, at = 0, section = 0;
  bool in_header = true;
  bool section_start = true;  // the line at `at` may be a header section's first
  bool carry = false;         // the run is a nameless field's, added to the next field's
  // The next CR and LF, each found (vectorised) once and kept until passed.
  std::size_t next_cr = text.find('\r'), next_lf = text.find('\n');
  while (at < text.size()) {
    if (next_cr < at) next_cr = text.find('\r', at);
    if (next_lf < at) next_lf = text.find('\n', at);
    const std::size_t end = std::min({next_cr, next_lf, text.size()});
    const std::size_t line = end - at;
    std::size_t next = end;
    if (next < text.size()) {
      const char first = text[next++];
      if (next < text.size() && (text[next] == '\r' || text[next] == '\n') && text[next] != first)
        ++next;
    }
    if (line == 0) {
      if (in_header) {
        in_header = count_nesting_types(text.substr(section, at - section)) > 0;
        section = next;
        section_start = in_header;
      }
      run = 0;
      carry = false;
    } else {
      const bool boundary = line >= 2 && text[at] == '-' && text[at + 1] == '-';
      if (!in_header && boundary) {
        in_header = true;
        section = at;
      }
      if (in_header) {
        const bool folded = text[at] == ' ' || text[at] == '\t';
        if (folded && section_start) carry = true;
        run = folded || carry ? run + line : line;
        if (!folded && text[at] != ':') carry = false;
        // The part's header may begin on this line, after the boundary: with a nameless field.
        if (boundary) carry = true;
        longest = std::max(longest, run);
      }
      // A part's header begins after its boundary (or on the boundary's line, counted with it).
      section_start = boundary;
    }
    at = next;
  }
  return longest;
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

raw_params params_of(const mimetic::FieldParamList& list) {
  raw_params out;
  for (const auto& p : list) out.emplace_back(std::string(view(p.name())), p.value());
  return out;
}

// The predicates take the part's Content-Type, looked up once per part: mimetic finds a field by
// comparing the names of all of them, for every call.

// An attachment: said so, or a named file (RFC 2231 names included). The top-level entity is
// the mail itself, never an attachment.
bool is_attachment(const mimetic::MimeEntity& entity, const mimetic::ContentType& type) {
  const auto& disposition = entity.header().contentDisposition();
  if (iequals(view(disposition.type()), "attachment")) return true;
  return !param_value(params_of(disposition.paramList()), "filename").empty() ||
         !param_value(params_of(type.paramList()), "name").empty();
}

// RFC 2045: no Content-Type, or one that does not parse, means text/plain. (Without the field,
// mimetic's const look-up gives an empty ContentType.)
bool is_plain_text(const mimetic::ContentType& type) {
  if (type.subtype().empty()) return true;
  return iequals(view(type.type()), "text") && iequals(view(type.subtype()), "plain");
}

bool is_html(const mimetic::ContentType& type) {
  return iequals(view(type.type()), "text") && iequals(view(type.subtype()), "html");
}

bool is_message(const mimetic::ContentType& type) {
  return iequals(view(type.type()), "message") && iequals(view(type.subtype()), "rfc822");
}

// A part that may hold the text, and how good a choice it is: the mail's own text before a
// forwarded message's, and text/plain before HTML at the same level of forwarding.
struct candidate {
  const mimetic::MimeEntity* part;
  int forward_depth;
  bool html;
};

// too_deep: a part past max_depth that could hold the text (a multipart, a message, a text
// that is no attachment) was left unread.
void collect(const mimetic::MimeEntity& entity, int depth, int forward_depth, bool top,
             std::vector<candidate>& out, bool& too_deep) {
  const mimetic::ContentType& type = entity.header().contentType();
  if (!top && is_attachment(entity, type)) return;
  const bool message = is_message(type);
  if (depth > max_depth) {
    too_deep = too_deep || type.isMultipart() || message || is_plain_text(type) || is_html(type);
    return;
  }
  if (type.isMultipart() || message) {
    const int inner = message ? forward_depth + 1 : forward_depth;
    for (const mimetic::MimeEntity* part : entity.body().parts()) {
      collect(*part, depth + 1, inner, false, out, too_deep);
    }
  } else if (is_plain_text(type)) {
    out.push_back({&entity, forward_depth, false});
  } else if (is_html(type)) {
    out.push_back({&entity, forward_depth, true});
  }
}

// U+0000 is no character of an SMS, and PostgreSQL's text cannot hold it: a NUL that a mail's
// text carries (QP "=00", base64, UTF-16) is dropped. Left in, it failed the mail's commit with
// 451 4.3.0, and the client retried the same mail for ever.
std::string without_nul(std::string text) {
  if (text.find('\0') == std::string::npos) return text;  // one vectorised scan, nearly always
  std::erase(text, '\0');
  return text;
}

// The part's text, decoded from its transfer encoding and charset, converted from HTML, laid out.
result<std::string, std::string> part_text(const mimetic::MimeEntity& part, bool html) {
  const std::string bytes = decode_transfer_encoding(
      part.body(), view(part.header().contentTransferEncoding().mechanism()));
  const raw_params params = params_of(part.header().contentType().paramList());
  std::string charset = param_value(params, "charset");
  if (html && charset.empty()) charset = html_declared_charset(bytes);
  std::string text = without_nul(to_utf8(bytes, charset));
  if (html) {
    auto converted = html_to_text(text);
    if (!converted) return fail(std::string(html_too_large_error));
    return normalise_body(*converted);
  }
  if (iequals(trim(param_value(params, "format")), "flowed")) {
    text = unflow(text, iequals(trim(param_value(params, "delsp")), "yes"));
  }
  return normalise_body(text);
}

result<mail_text, std::string> extract_parsed(const mimetic::MimeEntity& entity,
                                              const text_options& options) {
  mail_text text;
  text.subject = decode_header_text(entity.header().subject());
  text.message_id = header_value(entity, "Message-ID");
  text.from = header_value(entity, "From");
  text.source = "none";
  std::vector<candidate> candidates;
  bool too_deep = false;
  collect(entity, 0, 0, true, candidates, too_deep);
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const candidate& a, const candidate& b) {
                     return a.forward_depth != b.forward_depth ? a.forward_depth < b.forward_depth
                                                               : a.html < b.html;
                   });
  // The first candidate with text after cleaning: an empty text/plain beside a filled HTML part
  // (some agents send that) gives way to the HTML.
  for (const candidate& c : candidates) {
    auto raw = part_text(*c.part, c.html);
    if (!raw) return fail(raw.error());
    std::string body = clean_body(*raw, options);
    if (!has_visible_text(body)) continue;
    text.body = std::move(body);
    text.source = c.html ? "text/html" : "text/plain";
    break;
  }
  // The text may be in the parts not read: an SMS of the subject alone would drop it unsaid
  // (unless the account sends the subject alone anyway).
  if (text.body.empty() && too_deep &&
      !(options.subject == subject_policy::subject && has_visible_text(text.subject)))
    return fail(std::string(too_deep_error));
  // A subject of only spaces and invisible characters is no subject: the SMS would be blank.
  if (!has_visible_text(text.subject)) text.subject.clear();
  if (text.body.empty() && text.subject.empty()) {
    return fail(std::string(candidates.empty() ? no_text_part_error : no_text_error));
  }
  return text;
}

}  // namespace

bool has_visible_text(std::string_view utf8) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(utf8.data());
  const auto length = static_cast<std::int32_t>(utf8.size());
  for (std::int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);
    // Unicode's White_Space and Default_Ignorable_Code_Point: what no reader sees. Bytes that
    // are not UTF-8 (c < 0) are something.
    if (c < 0 ||
        !(u_isUWhiteSpace(c) || u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT)))
      return true;
  }
  return false;
}

std::string_view to_string(subject_policy p) {
  switch (p) {
    case subject_policy::body:
      return "body";
    case subject_policy::subject:
      return "subject";
    case subject_policy::subject_and_body:
      return "subject-and-body";
  }
  return "body";
}

bool parse_subject_policy(std::string_view name, subject_policy& out) {
  for (auto p : {subject_policy::body, subject_policy::subject, subject_policy::subject_and_body}) {
    if (name == to_string(p)) {
      out = p;
      return true;
    }
  }
  return false;
}

result<mail_text, std::string> extract_text(std::string_view rfc5322, const text_options& options) {
  // Only a mail that mimetic reads as a multipart or a message has parts to nest into: a
  // plain-text mail that quotes "content-type mismatch" 300 times has none. (Asked only past
  // the count: the flat parse costs a header's reading and a scan.)
  if (count_nesting_types(rfc5322) > max_nesting_types && mail_nests(rfc5322)) {
    return fail(std::string(too_many_parts_error));
  }
  if (rfc5322.size() > max_header_field && longest_header_field(rfc5322) > max_header_field) {
    return fail(std::string(header_too_long_error));
  }
  // mimetic throws on some malformed input; a mail is untrusted input, so any exception is that
  // mail's fault and becomes its refusal, never the session's end.
  try {
    // Construct first, then load: when mimetic throws inside its constructor the parts it has
    // already allocated are never freed; from load() the destructor frees them.
    mimetic::MimeEntity entity;
    entity.load(rfc5322.begin(), rfc5322.end());
    return extract_parsed(entity, options);
  } catch (const std::exception&) {
    return fail(std::string(unreadable_error));
  }
}

std::string sms_text(const mail_text& m, const text_options& options) {
  switch (options.subject) {
    case subject_policy::body:
      return m.body.empty() ? m.subject : m.body;
    case subject_policy::subject:
      return m.subject.empty() ? m.body : m.subject;
    case subject_policy::subject_and_body:
      if (m.subject.empty()) return m.body;
      if (m.body.empty() || m.body.starts_with(m.subject))
        return m.body.empty() ? m.subject : m.body;
      return m.subject + "\n" + m.body;
  }
  return m.body;
}

}  // namespace mail2sms::mail
