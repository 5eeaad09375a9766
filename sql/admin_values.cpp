// Checks and normal forms of what account administration accepts (see admin_values.hpp).
#include "sql/admin_values.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "core/mail/mail_text.hpp"
#include "core/phone/phone.hpp"
#include "core/policy/password.hpp"
#include "sql/array_literal.hpp"

namespace mail2sms::sql {
namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::vector<std::string> comma_list(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    items.emplace_back(trimmed(text.substr(start, comma - start)));
    start = comma + 1;
  }
  return items;
}

// Shown inside error messages: printable ASCII only, and short.
std::string quoted(std::string_view text) {
  constexpr std::size_t max_shown = 60;
  std::string out = "'";
  for (const char c : text.substr(0, max_shown)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > max_shown) out += "...";
  return out + "'";
}

const std::vector<setting> all_settings{
    {"sender-id", "sender_id", "text",
     "up to 11 letters and digits (e.g. ALERTS), a number of up to 15 digits with an optional + "
     "(e.g. +27821234567), or \"\" for the connector's default"},
    {"country", "country", "text", "an ISO 3166 two-letter country code, e.g. ZA or US"},
    {"max-parts", "max_parts", "integer", "a whole number from 1 to 255"},
    {"subject", "subject", "text", "body, subject or subject-and-body"},
    {"timezone", "timezone", "text",
     "a time zone name PostgreSQL knows (pg_timezone_names), e.g. UTC or Africa/Johannesburg"},
    {"status", "status", "text", "active or suspended"},
    {"credit-policy", "credit_policy", "text", "defer or fail"},
    {"too-long", "too_long", "text", "refuse or truncate"},
    {"countries", "countries", "text[]",
     "a comma-separated list of ISO 3166 two-letter codes (e.g. ZA,NA,BW), * for any country, "
     "or \"\" for the account's own country only"},
    {"number-types", "number_types", "text[]",
     "a comma-separated list of mobile, fixed-line, fixed-line-or-mobile, toll-free, "
     "premium-rate, shared-cost, voip, personal-number, pager, uan, voicemail, unknown"},
    {"messages-per-minute", "messages_per_minute", "integer", "a whole number, 0 for no limit"},
    {"segments-per-day", "segments_per_day", "integer", "a whole number, 0 for no limit"},
    {"per-number-per-hour", "per_number_per_hour", "integer", "a whole number, 0 for no limit"},
    {"dedup-window", "dedup_seconds", "integer",
     "seconds, or a number with s, m, h or d (e.g. 90s, 10m, 24h, 1d); 0 turns it off"},
    {"clean", "clean_text", "boolean", "true or false"},
    {"smart-gsm", "smart_gsm", "boolean", "true or false"},
    {"transliterate", "transliterate", "boolean", "true or false"},
    {"national-language", "national_language", "text", "none, turkish, spanish or portuguese"},
    {"concatenation-reference", "concatenation_reference", "integer", "8 or 16 (bits)"},
    {"notify", "notify", "text",
     "off, failures (a mail when an SMS failed or expired) or all (also when one was delivered)"},
    {"notify-to", "notify_to", "text",
     "sender (the mail's envelope sender) or one email address, e.g. ops@example.com"},
    {"end-marker", "end_marker", "text",
     "one line of text that ends the SMS text where a mail has it on a line of its own (e.g. ##), "
     "or \"\" for none"},
};

result<std::string, std::string> whole_number(std::string_view text, std::int64_t min,
                                              std::int64_t max) {
  std::int64_t n = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (text.empty() || ec != std::errc() || ptr != end || n < min || n > max)
    return fail(std::string());
  return std::to_string(n);
}

result<std::string, std::string> sender_id(std::string_view text) {
  if (text.empty()) return std::string();
  const std::string_view digits = text.front() == '+' ? text.substr(1) : text;
  const bool numeric = !digits.empty() && std::all_of(digits.begin(), digits.end(), is_digit);
  if (numeric && digits.size() <= 15) return std::string(text);
  if (!numeric && text.size() <= 11 && std::all_of(text.begin(), text.end(), is_alnum))
    return std::string(text);
  return fail(std::string());
}

result<std::string, std::string> one_of(std::string_view text,
                                        std::initializer_list<std::string_view> names) {
  for (const auto name : names)
    if (text == name) return std::string(name);
  return fail(std::string());
}

result<std::string, std::string> countries(std::string_view text) {
  if (trimmed(text) == "*") return std::string("{*}");
  if (trimmed(text).empty()) return std::string("{}");
  std::vector<std::string> codes;
  for (auto& item : comma_list(text)) {
    const std::string code = upper(item);
    if (!phone::is_known_region(code))
      return fail(quoted(item) + " is not a country code libphonenumber knows");
    if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
  }
  return text_array_literal(codes);
}

result<std::string, std::string> number_types(std::string_view text) {
  std::vector<std::string> types;
  for (auto& item : comma_list(text)) {
    const std::string type = lower(item);
    const auto& names = phone::number_type_names();
    if (std::find(names.begin(), names.end(), type) == names.end())
      return fail(quoted(item) + " is not a number type");
    if (std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
  }
  return text_array_literal(types);
}

result<std::string, std::string> end_marker(std::string_view text) {
  constexpr std::size_t max_length = 64;
  if (text.size() > max_length) return fail("it is longer than 64 characters");
  if (std::any_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
    return fail("it has a line break or another control character");
  if (!text.empty() && trimmed(text).empty()) return fail("it is only blanks");
  return std::string(trimmed(text));
}

// "sender", or one plain address (no display name, no comments, no list): the column's CHECK
// says the same, this says it in words first.
result<std::string, std::string> notify_address(std::string_view text) {
  const std::string value(trimmed(text));
  if (lower(value) == "sender") return std::string("sender");
  constexpr std::size_t max_address = 254;  // RFC 5321 4.5.3.1.3
  const auto at = value.find('@');
  const bool plain =
      !value.empty() && value.size() <= max_address && at != std::string::npos && at > 0 &&
      at + 1 < value.size() && value.find('@', at + 1) == std::string::npos &&
      std::none_of(value.begin(), value.end(), [](unsigned char c) {
        return c <= 0x20 || c >= 0x7f || std::string_view("<>(),;:\"\\").find(static_cast<char>(c)) !=
                                              std::string_view::npos;
      });
  if (!plain) return fail(quoted(value) + " is not one plain email address");
  return value;
}

result<std::string, std::string> timezone_shape(std::string_view text) {
  const bool plausible =
      !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
        return is_alnum(c) || c == '/' || c == '_' || c == '-' || c == '+';
      });
  if (!plausible) return fail(std::string());
  return std::string(text);
}

result<std::string, std::string> value_of(const setting& s, std::string_view v) {
  const std::string_view key = s.key;
  constexpr std::int64_t int_max = std::numeric_limits<std::int32_t>::max();
  if (key == "sender-id") return sender_id(v);
  if (key == "country") {
    if (!phone::is_known_region(upper(v))) return fail(std::string());
    return upper(v);
  }
  if (key == "max-parts") return whole_number(v, 1, 255);
  if (key == "subject") return one_of(v, {"body", "subject", "subject-and-body"});
  if (key == "timezone") return timezone_shape(v);
  if (key == "status") return one_of(v, {"active", "suspended"});
  if (key == "credit-policy") return one_of(v, {"defer", "fail"});
  if (key == "too-long") return one_of(v, {"refuse", "truncate"});
  if (key == "countries") return countries(v);
  if (key == "number-types") return number_types(v);
  if (key == "national-language")
    return one_of(lower(v), {"none", "turkish", "spanish", "portuguese"});
  if (key == "concatenation-reference") return one_of(v, {"8", "16"});
  if (key == "notify") return one_of(lower(v), {"off", "failures", "all"});
  if (key == "notify-to") return notify_address(v);
  if (key == "dedup-window") {
    auto seconds = parse_duration(v);
    if (!seconds || *seconds > int_max) return fail(std::string());
    return std::to_string(*seconds);
  }
  if (s.sql_type == "integer") return whole_number(v, 0, int_max);
  if (s.sql_type == "boolean") return one_of(v, {"true", "false"});
  if (key == "end-marker") return end_marker(v);
  return fail(std::string());
}

}  // namespace

const std::vector<setting>& settings() { return all_settings; }

const setting* find_setting(std::string_view key) {
  for (const auto& s : all_settings)
    if (s.key == key) return &s;
  return nullptr;
}

std::string unknown_setting_message(std::string_view key) {
  std::string message = quoted(key) + " is not a setting; the settings are";
  for (const auto& s : all_settings)
    message += std::string(&s == &all_settings.front() ? " " : ", ") + std::string(s.key);
  // The usual slips: the column's underscores, or upper case.
  std::string likely = lower(key);
  std::replace(likely.begin(), likely.end(), '_', '-');
  if (likely == "dedup-seconds") likely = "dedup-window";
  if (likely != key && find_setting(likely) != nullptr)
    message += "; did you mean '" + likely + "'?";
  return message;
}

result<std::string, std::string> normalise_setting(const setting& s, std::string_view value) {
  auto normal = value_of(s, value);
  if (normal) return normal;
  std::string message = std::string(s.key) + " " + quoted(value) + " is not valid";
  if (!normal.error().empty()) message += ": " + normal.error();
  return fail(message + "; write " + std::string(s.valid));
}

result<std::int64_t, std::string> parse_duration(std::string_view text) {
  std::int64_t unit = 1;
  if (!text.empty() && !is_digit(text.back())) {
    switch (text.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        return fail("unknown unit");
    }
    text.remove_suffix(1);
  }
  std::int64_t n = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (text.empty() || ec != std::errc() || ptr != end || n < 0 ||
      n > std::numeric_limits<std::int32_t>::max() / unit)
    return fail("not a number of seconds, minutes, hours or days");
  return n * unit;
}

result<std::string, std::string> normalise_sender_pattern(std::string_view text) {
  const std::string why =
      " is not a sender pattern: write one address (user@domain, e.g. ops@example.com) or any "
      "address at a domain (*@domain, e.g. *@example.com)";
  const std::string pattern = lower(trimmed(text));
  const auto at = pattern.find('@');
  if (at == std::string::npos || at == 0 || pattern.find('@', at + 1) != std::string::npos)
    return fail(quoted(text) + why);
  const std::string_view local = std::string_view(pattern).substr(0, at);
  const std::string_view domain = std::string_view(pattern).substr(at + 1);
  static constexpr std::string_view atext = "!#$%&'+-/=?^_`{|}~.";
  const bool local_ok =
      local == "*" || (local.size() <= 64 && local.front() != '.' && local.back() != '.' &&
                       std::all_of(local.begin(), local.end(), [](char c) {
                         return is_alnum(c) || atext.find(c) != std::string_view::npos;
                       }));
  bool domain_ok = !domain.empty() && domain.size() <= 253;
  std::size_t start = 0;
  while (domain_ok && start <= domain.size()) {
    const auto dot = std::min(domain.find('.', start), domain.size());
    const auto label = domain.substr(start, dot - start);
    domain_ok =
        !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-' &&
        std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; });
    start = dot + 1;
  }
  if (!local_ok || !domain_ok) return fail(quoted(text) + why);
  return pattern;
}

result<std::string, std::string> normalise_fingerprint(std::string_view text) {
  // openssl x509 -fingerprint prints "SHA256 Fingerprint=AB:CD:..."; take what follows the '='.
  if (const auto equals = text.find('='); equals != std::string_view::npos)
    text.remove_prefix(equals + 1);
  std::string hex;
  for (const char c : text) {
    if (c == ':' || std::isspace(static_cast<unsigned char>(c))) continue;
    hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const bool ok = hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
                    return is_digit(c) || (c >= 'a' && c <= 'f');
                  });
  if (!ok)
    return fail(quoted(text) +
                " is not a SHA-256 fingerprint: write 64 hex digits (colons and spaces allowed), "
                "as `openssl x509 -noout -fingerprint -sha256 -in CERT.pem` prints them");
  return hex;
}

result<std::string, std::string> normalise_group_name(std::string_view text) {
  const std::string name = lower(trimmed(text));
  const bool shape =
      !name.empty() && name.size() <= 64 && name.front() >= 'a' && name.front() <= 'z' &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '_' || c == '-';
      });
  // A group is addressed as GROUP@DOMAIN, where a number is also a local part: a name that
  // reads as a number in some country would be ambiguous.
  const bool number_like = shape && phone::to_e164(name, "US").has_value();
  if (!shape || number_like)
    return fail(quoted(text) +
                " is not a group name: write 1-64 lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter (e.g. oncall), that cannot be read as a phone number");
  return name;
}

std::string check_password_label(std::string_view label) {
  // The shape of an account name, whose rule is kept in one place.
  if (policy::is_account_name(label)) return {};
  return quoted(label) +
         " is not a password label: write 1-64 letters, digits, '.', '_' or '-' (e.g. laptop, "
         "nagios-1)";
}

std::string text_array_literal(const std::vector<std::string>& items) {
  array_literal out;
  for (const auto& item : items) out.add(std::string_view(item));
  return out.str();
}

}  // namespace mail2sms::sql
