// SMTP command-line syntax: verbs, reverse- and forward-paths (RFC 5321 4.1.2), ESMTP parameters.
#include "smtpd/command_line.hpp"

#include <limits>

namespace mail2sms::smtpd {
namespace {

constexpr std::size_t max_local_part = 64;  // RFC 5321 4.5.3.1.1
constexpr std::size_t max_domain = 255;     // RFC 5321 4.5.3.1.2

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_alpha(c) || is_digit(c); }
bool is_atext(char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool has_non_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  }
  return false;
}

// Offset of the '>' that closes a path starting with '<', skipping quoted strings.
std::size_t path_end(std::string_view s) {
  bool quoted = false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (quoted && s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && s[i] == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > max_domain) return false;
  if (d.front() == '[') {  // address-literal: dtext between brackets
    if (d.size() < 3 || d.back() != ']') return false;
    for (char c : d.substr(1, d.size() - 2)) {
      if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\') return false;
    }
    return true;
  }
  std::size_t label = 0;
  for (std::size_t i = 0; i <= d.size(); ++i) {
    if (i == d.size() || d[i] == '.') {
      if (label == 0 || d[i - 1] == '-') return false;
      label = 0;
    } else if (is_alnum(d[i]) || d[i] == '_' || (d[i] == '-' && label > 0)) {
      ++label;
    } else {
      return false;
    }
  }
  return true;
}

// Quoted-string of RFC 5321 4.1.2, unquoted; s starts at the opening quote.
std::optional<std::string> unquote(std::string_view s, std::size_t& used) {
  std::string out;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      used = i + 1;
      return out;
    }
    if (c == '\\') {
      if (++i >= s.size() || s[i] < 32 || s[i] > 126) return std::nullopt;
      out += s[i];
    } else if (c >= 32 && c <= 126) {
      out += c;
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

bool valid_dot_string(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.' ? s[i + 1] == '.' : !is_atext(s[i])) return false;
  }
  return true;
}

// atext and dots in any order: the local parts some senders use that RFC 5321's dot-string
// does not allow (a..b, a., .a: some mobile carriers' addresses).
bool valid_loose_local_part(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c != '.' && !is_atext(c)) return false;
  }
  return true;
}

// Mailbox = Local-part "@" ( Domain / address-literal ). A sender's mailbox is read as Postfix
// reads it (strict_rfc821_envelopes = no): a local part of atext and dots in any order and of
// any length (VERP and SRS senders run past 64 octets), or no domain at all (an unqualified
// "root", which the protocol qualifies). Either way a domain's one trailing dot is dropped.
bool parse_mailbox(std::string_view box, path_argument& out, bool sender) {
  std::size_t at = 0;
  if (!box.empty() && box.front() == '"') {
    auto local = unquote(box, at);
    if (!local) return false;
    out.local_part = std::move(*local);
  } else {
    at = box.rfind('@');
    if (sender && at == std::string_view::npos && valid_loose_local_part(box)) {
      out.local_part = out.address = std::string(box);
      return true;
    }
    if (at == std::string_view::npos) return false;
    const auto local = box.substr(0, at);
    if (!(sender ? valid_loose_local_part(local) : valid_dot_string(local))) return false;
    out.local_part = std::string(local);
  }
  if (at >= box.size() || box[at] != '@') return false;
  if (!sender && out.local_part.size() > max_local_part) return false;
  if (box.size() > at + 2 && box.back() == '.' && box[at + 1] != '[') box.remove_suffix(1);
  out.domain = std::string(box.substr(at + 1));
  out.address = std::string(box);
  return valid_domain(out.domain);
}

// A-d-l = At-domain *( "," At-domain ) ":"; returns what follows, or nothing if malformed.
std::optional<std::string_view> drop_source_route(std::string_view inner) {
  if (inner.empty() || inner.front() != '@') return inner;
  const auto colon = inner.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view route = inner.substr(0, colon);
  while (!route.empty()) {
    const auto comma = route.find(',');
    const auto hop = route.substr(0, comma);
    if (hop.size() < 2 || hop.front() != '@' || !valid_domain(hop.substr(1))) return std::nullopt;
    route = comma == std::string_view::npos ? std::string_view{} : route.substr(comma + 1);
    if (comma != std::string_view::npos && route.empty()) return std::nullopt;
  }
  return inner.substr(colon + 1);
}

bool valid_keyword(std::string_view k) {
  if (k.empty() || !is_alnum(k.front())) return false;
  for (char c : k) {
    if (!is_alnum(c) && c != '-') return false;
  }
  return true;
}

bool valid_value(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (c < 33 || c > 126 || c == '=') return false;
  }
  return true;
}

std::optional<std::uint64_t> parse_size(std::string_view digits) {
  if (digits.empty() || digits.size() > 40) return std::nullopt;
  std::uint64_t n = 0;
  constexpr auto top = std::numeric_limits<std::uint64_t>::max();
  for (char c : digits) {
    if (!is_digit(c)) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    n = n > (top - d) / 10 ? top : n * 10 + d;
  }
  return n;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

command_line split_command(std::string_view line) {
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}};
  return {line.substr(0, space), trim_spaces(line.substr(space + 1))};
}

result<path_argument, path_error> parse_path_argument(std::string_view args,
                                                      std::string_view keyword, bool allow_null) {
  if (args.size() < keyword.size() || !iequals(args.substr(0, keyword.size()), keyword)) {
    return fail(path_error::syntax);
  }
  const auto rest = trim_spaces(args.substr(keyword.size()));
  std::string_view inner, after;
  if (!rest.empty() && rest.front() == '<') {
    const auto close = path_end(rest);
    if (close == std::string_view::npos) return fail(path_error::address);
    inner = rest.substr(1, close - 1);
    after = rest.substr(close + 1);
    if (!after.empty() && after.front() != ' ') return fail(path_error::address);
  } else {
    // A path without the angle brackets RFC 5321 asks for, as Postfix takes it: up to the
    // first space. Old clients and appliances send "MAIL FROM:root".
    const auto space = rest.find(' ');
    inner = rest.substr(0, space);
    after = space == std::string_view::npos ? std::string_view{} : rest.substr(space);
    if (inner.empty() || inner.find_first_of("<>") != std::string_view::npos)
      return fail(path_error::address);
  }
  if (has_non_ascii(inner)) return fail(path_error::non_ascii);

  path_argument out;
  out.parameters = trim_spaces(after);
  if (inner.empty()) {
    if (!allow_null) return fail(path_error::address);
    return out;
  }
  // RFC 5321 4.1.1.3: "RCPT TO:<Postmaster>", the one path without a domain (any case).
  if (iequals(keyword, "TO:") && iequals(inner, "postmaster")) {
    out.local_part = out.address = std::string(inner);
    return out;
  }
  const auto box = drop_source_route(inner);
  if (!box || !parse_mailbox(*box, out, iequals(keyword, "FROM:")))
    return fail(path_error::address);
  return out;
}

std::optional<std::vector<esmtp_parameter>> split_parameters(std::string_view text) {
  std::vector<esmtp_parameter> out;
  while (!text.empty()) {
    const auto space = text.find(' ');
    const auto token = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view{} : trim_spaces(text.substr(space));
    esmtp_parameter p{token, std::nullopt, token};
    if (const auto eq = token.find('='); eq != std::string_view::npos) {
      p.keyword = token.substr(0, eq);
      p.value = token.substr(eq + 1);
      if (!valid_value(*p.value)) return std::nullopt;
    }
    if (!valid_keyword(p.keyword)) return std::nullopt;
    out.push_back(p);
  }
  return out;
}

result<mail_parameters, mail_parameter_problem> parse_mail_parameters(std::string_view text,
                                                                      bool auth_offered) {
  const auto params = split_parameters(text);
  if (!params) return fail(mail_parameter_problem{mail_parameter_error::syntax, std::string(text)});
  mail_parameters out;
  bool auth_seen = false;
  for (const auto& p : *params) {
    auto problem = [&p](mail_parameter_error kind) {
      return fail(mail_parameter_problem{kind, std::string(p.text)});
    };
    if (iequals(p.keyword, "SIZE")) {
      out.size = p.value ? parse_size(*p.value) : std::nullopt;
      if (!out.size) return problem(mail_parameter_error::bad_size);
    } else if (iequals(p.keyword, "BODY")) {
      if (!p.value || !(iequals(*p.value, "7BIT") || iequals(*p.value, "8BITMIME")))
        return problem(mail_parameter_error::bad_body);
    } else if (iequals(p.keyword, "AUTH") && auth_offered && p.value) {
      // AUTH=<mailbox>: trusted nothing from it
      if (auth_seen) return problem(mail_parameter_error::repeated_auth);
      auth_seen = true;
    } else {
      return problem(mail_parameter_error::unsupported);
    }
  }
  return out;
}

}  // namespace mail2sms::smtpd
