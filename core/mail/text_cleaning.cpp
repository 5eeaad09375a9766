// Body cleaning: line-based passes over normalised text. Reply and footer shapes are those the
// common mail agents write (Outlook, Gmail, Apple Mail, Thunderbird, iOS and Android apps).
#include "core/mail/text_cleaning.hpp"

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "core/mail/ascii_text.hpp"
#include "core/mail/body_layout.hpp"

namespace mail2sms::mail {
namespace {

using lines = std::vector<std::string_view>;

// The vectors of lines and the strings built here are sized before they are filled: grown line
// by line, they were most of the allocations clean_body made for a mail.
lines split_lines(std::string_view text) {
  lines out;
  out.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string join(const lines& in) {
  std::string out;
  std::size_t size = in.size();
  for (std::string_view line : in) size += line.size();
  out.reserve(size);
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (i > 0) out += '\n';
    out += in[i];
  }
  return out;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool is_blank(std::string_view line) { return trim(line).empty(); }

// "On Mon, 4 Mar 2024 at 10:00, Ann <ann@example.com> wrote:" and its translations by the
// agents that write them; Gmail wraps a long one over two lines.
struct attribution_form {
  std::string_view opens;
  std::string_view closes;
};
constexpr std::array<attribution_form, 7> attribution_forms{{
    {"On ", "wrote:"},
    {"Am ", "schrieb:"},
    {"Am ", ":"},  // "Am 04.03.2024 um 10:00 schrieb Ann <ann@example.de>:"
    {"Le ",
     "a \xC3\xA9"
     "crit :"},
    {"Le ",
     "a \xC3\xA9"
     "crit:"},
    {"El ", "escribi\xC3\xB3:"},
    {"Op ", "geschreven:"},
}};

bool is_attribution(std::string_view line) {
  for (const auto& form : attribution_forms) {
    if (!line.starts_with(form.opens) || !line.ends_with(form.closes)) continue;
    if (form.closes != ":" || line.find(" schrieb ") != std::string_view::npos) return true;
  }
  return false;
}

bool is_outlook_separator(std::string_view line) {
  const std::string_view t = trim(line);
  return (t.starts_with("-----") && t.ends_with("-----") &&
          (t.find("Original Message") != std::string_view::npos ||
           t.find("Ursprüngliche Nachricht") != std::string_view::npos ||
           t.find("Message d'origine") != std::string_view::npos ||
           t.find("Mensaje original") != std::string_view::npos));
}

bool is_underscore_rule(std::string_view line) {
  const std::string_view t = trim(line);
  return t.size() >= 10 && t.find_first_not_of('_') == std::string_view::npos;
}

// Outlook's header block: "From: ..." followed by "Sent: " or "Date: " within four lines.
bool opens_header_block(const lines& in, std::size_t i) {
  if (!starts_with_nocase(in[i], "From: ") && !starts_with_nocase(in[i], "Von: ") &&
      !starts_with_nocase(in[i], "De : ") && !starts_with_nocase(in[i], "De: ") &&
      !in[i].starts_with("От: ")) {
    return false;
  }
  for (std::size_t k = i + 1; k < in.size() && k <= i + 4; ++k) {
    for (std::string_view key :
         {"Sent: ", "Date: ", "Gesendet: ", "Envoy\xC3\xA9 : ", "Enviado: ", "Отправлено: "}) {
      if (starts_with_nocase(in[k], key)) return true;
    }
  }
  return false;
}

// Where an Outlook-style quoted mail begins (everything after it is the old mail), or in.size().
std::size_t outlook_header_at(const lines& in) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (is_outlook_separator(in[i])) return i;
    if (is_underscore_rule(in[i]) && i + 1 < in.size() && opens_header_block(in, i + 1)) return i;
    if (opens_header_block(in, i)) return i;
  }
  return in.size();
}

bool next_text_is_quoted(const lines& in, std::size_t i) {
  while (i < in.size() && is_blank(in[i])) ++i;
  return i < in.size() && in[i].starts_with('>');
}

// Attribution lines above a quote: "On ... wrote:" and its translations (Gmail wraps it over two
// lines), and any other line ending in ':' that names an address right above quoted lines
// (mutt's "* Ann <ann@example.org> [2024-03-04 21:00]:"). How many lines it takes at i, or 0.
std::size_t attribution_lines_at(const lines& in, std::size_t i) {
  if (is_attribution(in[i])) return 1;
  if (i + 1 < in.size() && in[i].starts_with("On ") && in[i + 1].ends_with("wrote:") &&
      !in[i + 1].starts_with(">")) {
    return 2;
  }
  if (in[i].ends_with(':') && in[i].find('@') != std::string_view::npos &&
      next_text_is_quoted(in, i + 1)) {
    return 1;
  }
  return 0;
}

bool has_text(const lines& in) {
  return std::any_of(in.begin(), in.end(), [](std::string_view l) { return !is_blank(l); });
}

std::string_view unquoted(std::string_view line) {
  while (line.starts_with('>')) {
    line.remove_prefix(1);
    if (line.starts_with(' ')) line.remove_prefix(1);
  }
  return line;
}

// Replies: attribution lines and quoted lines dropped (interleaved answers stay), an Outlook
// header block and all after it cut. A mail that is only a quote passes the quote on.
lines strip_replies(const lines& in) {
  const std::size_t header = outlook_header_at(in);
  lines kept;
  lines quoted;  // the fallback: attributions dropped, quote marks removed
  kept.reserve(header);
  quoted.reserve(header);
  for (std::size_t i = 0; i < header; ++i) {
    if (const std::size_t n = attribution_lines_at(in, i); n > 0) {
      i += n - 1;
      continue;
    }
    if (in[i].starts_with('>') && is_attribution(unquoted(in[i]))) {
      continue;  // Apple Mail quotes the attribution too
    }
    quoted.push_back(unquoted(in[i]));
    if (!in[i].starts_with('>')) kept.push_back(in[i]);
  }
  if (has_text(kept)) return kept;
  if (has_text(quoted)) return quoted;
  // Only an Outlook block: its field lines dropped, the old mail kept.
  std::size_t i = header < in.size() ? header + 1 : header;
  if (i < in.size() && is_underscore_rule(in[header])) ++i;
  while (i < in.size() && !is_blank(in[i]) && in[i].find(": ") != std::string_view::npos &&
         in[i].find(": ") < 20) {
    ++i;
  }
  return lines(in.begin() + static_cast<std::ptrdiff_t>(std::min(i, in.size())), in.end());
}

bool is_forward_marker(std::string_view line) {
  const std::string_view t = trim(line);
  return (t.starts_with("----------") && t.find("Forwarded message") != std::string_view::npos) ||
         t == "Begin forwarded message:" ||
         (t.starts_with("-----") && t.find("Forwarded") != std::string_view::npos);
}

bool is_forward_field(std::string_view line) {
  for (std::string_view key : {"From:", "Date:", "Subject:", "To:", "Cc:", "Sent:", "Reply-To:"}) {
    if (starts_with_nocase(trim(line), key)) return true;
  }
  return false;
}

lines strip_forward_headers(const lines& in) {
  lines out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!is_forward_marker(in[i])) {
      out.push_back(in[i]);
      continue;
    }
    std::size_t next = i + 1;
    while (next < in.size() && is_blank(in[next])) ++next;  // Apple Mail leaves one here
    if (next < in.size() && is_forward_field(in[next])) i = next - 1;
    while (i + 1 < in.size() && is_forward_field(in[i + 1])) ++i;
  }
  return out;
}

lines cut_at(lines in, std::size_t at) {
  in.resize(std::min(at, in.size()));
  return in;
}

std::size_t signature_at(const lines& in) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == "-- " || in[i] == "--") return i;
  }
  return in.size();
}

std::size_t end_marker_at(const lines& in, std::string_view marker) {
  if (trim(marker).empty()) return in.size();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (trim(in[i]) == trim(marker)) return i;
  }
  return in.size();
}

bool is_mobile_footer(std::string_view line) {
  const std::string_view t = trim(line);
  if (t.size() > 80) return false;
  for (std::string_view opens :
       {"Sent from my ",         "Sent from Mail for ", "Sent from Outlook",
        "Sent from Yahoo Mail",  "Sent from Samsung",   "Sent from Huawei",
        "Sent with BlackBerry",  "Sent via ",           "Sent from mobile",
        "Sent from the ",        "Get Outlook for ",    "Envoy\xC3\xA9 de mon ",
        "Envoy\xC3\xA9 depuis ", "Von meinem ",         "Gesendet von meinem ",
        "Enviado desde mi ",     "Enviado do meu ",     "Verzonden vanaf mijn ",
        "Inviato da ",           "Отправлено с "}) {
    if (starts_with_nocase(t, opens)) return true;
  }
  return false;
}

// Blank lines and mobile footers dropped from the end of `text`, each with the newline before it.
void drop_trailing_footers(std::string& text) {
  while (!text.empty()) {
    const std::size_t newline = text.rfind('\n');
    const std::size_t start = newline == std::string::npos ? 0 : newline + 1;
    const std::string_view last = std::string_view(text).substr(start);
    if (!is_blank(last) && !is_mobile_footer(last)) return;
    text.resize(newline == std::string::npos ? 0 : newline);
  }
}

// The byte offset in `text` of the start of the line where the first match of any pattern
// begins, or text.size().
std::size_t disclaimer_at(std::string_view text, const std::vector<std::string>& patterns) {
  if (patterns.empty()) return text.size();
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<std::int32_t>(text.size())));
  std::int32_t first = u.length();
  for (const std::string& pattern : patterns) {
    UErrorCode status = U_ZERO_ERROR;
    UParseError parse_error;
    std::unique_ptr<icu::RegexPattern> compiled(icu::RegexPattern::compile(
        icu::UnicodeString::fromUTF8(pattern), UREGEX_CASE_INSENSITIVE | UREGEX_MULTILINE,
        parse_error, status));
    if (U_FAILURE(status)) continue;
    std::unique_ptr<icu::RegexMatcher> matcher(compiled->matcher(u, status));
    if (U_FAILURE(status)) continue;
    // A pattern that backtracks badly gives up rather than stalling the mail (ICU's time limit
    // counts match steps, not wall time).
    matcher->setTimeLimit(20, status);
    if (matcher->find(status) && U_SUCCESS(status)) first = std::min(first, matcher->start(status));
  }
  if (first >= u.length()) return text.size();
  const std::int32_t line_start = u.lastIndexOf(u'\n', 0, first) + 1;
  std::string prefix;
  u.tempSubString(0, line_start).toUTF8String(prefix);
  return prefix.size();
}

// Runs of blanks become one space, none at the start of a line or before its end. Written through
// a pointer into a string of the input's size (the output is never longer: a space it adds stands
// for at least one blank it drops), a run of other characters copied at once: octet by octet,
// with the conditions evaluated for each, it was most of clean_body's time.
std::string collapse_blanks(std::string_view text) {
  std::string out(text.size(), '\0');
  char* const first = out.data();
  char* o = first;
  const char* p = text.data();
  const char* const end = p + text.size();
  auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
  while (p < end) {
    const char* const run = p;
    while (p < end && !is_blank(*p)) ++p;
    std::memcpy(o, run, static_cast<std::size_t>(p - run));
    o += p - run;
    while (p < end && is_blank(*p)) ++p;
    if (p < end && *p != '\n' && o != first && o[-1] != '\n') *o++ = ' ';
  }
  out.resize(static_cast<std::size_t>(o - first));
  return out;
}

}  // namespace

std::string clean_body(std::string_view text, const text_options& options) {
  lines in = split_lines(text);
  in = cut_at(std::move(in), end_marker_at(in, options.end_marker));
  if (options.clean) {
    // Forward headers first: their From/Date lines would read as an Outlook reply block.
    in = strip_forward_headers(in);
    in = strip_replies(in);
    in = cut_at(std::move(in), signature_at(in));
  }
  std::string joined = join(in);
  joined.resize(disclaimer_at(joined, options.disclaimer_patterns));
  if (options.clean) drop_trailing_footers(joined);
  return normalise_body(collapse_blanks(joined));
}

std::string check_disclaimer_pattern(std::string_view pattern) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error;
  std::unique_ptr<icu::RegexPattern> compiled(
      icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(icu::StringPiece(
                                     pattern.data(), static_cast<std::int32_t>(pattern.size()))),
                                 UREGEX_CASE_INSENSITIVE | UREGEX_MULTILINE, parse_error, status));
  if (U_SUCCESS(status)) return {};
  return "not a regular expression (" + std::string(u_errorName(status)) + " at offset " +
         std::to_string(parse_error.offset) + ")";
}

}  // namespace mail2sms::mail
