// Phone numbers with libphonenumber: the local part of a recipient address to E.164, with a
// sentence for the SMTP reply when it is not a number one can send to; masking for logs.
#include "core/phone/phone.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>

namespace mail2sms::phone {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::string_view international_hint =
    "use the international form +<country code><number>, e.g. +27821234567";

// GetInstance() is a thread-safe singleton, and its const methods are safe to call concurrently.
const PhoneNumberUtil& util() { return *PhoneNumberUtil::GetInstance(); }

// The text as it may appear inside an SMTP reply: printable ASCII only (no CR/LF injection),
// and short.
std::string quoted(std::string_view text) {
  constexpr std::size_t max_shown = 40;
  std::string out = "'";
  for (char c : text.substr(0, max_shown)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > max_shown) out += "...";
  out += "'";
  return out;
}

// "+", then digits; the separators people put in addresses removed (a space only a quoted local
// part can hold: <"+27 82 123 4567"@...>, the way numbers are printed). Empty if anything else is
// there (letters, extensions, a second "+"): those are not numbers we send to.
std::string digits_only(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '.' || c == '-' || c == '(' || c == ')' || c == ' ') continue;
    if (c == '+' && out.empty()) {
      out += c;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      out += c;
    } else {
      return {};
    }
  }
  return out == "+" ? std::string{} : out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string parse_error_sentence(PhoneNumberUtil::ErrorType error, std::string_view text,
                                 bool international, const std::string& region) {
  const std::string shown = quoted(text);
  switch (error) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      if (international)
        return shown + " has no known country code; " + std::string(international_hint);
      return shown + " has no country code and " +
             (region.empty() ? std::string("no default country is set")
                             : quoted(region) + " is not a known country") +
             "; " + std::string(international_hint);
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return shown + " is too short to be a phone number; " + std::string(international_hint);
    case PhoneNumberUtil::TOO_LONG_NSN:
      return shown + " is too long to be a phone number; " + std::string(international_hint);
    default:
      return shown + " is not a phone number; " + std::string(international_hint);
  }
}

// Parsed, but not a number that exists: say whether the length or the digits are wrong.
std::string invalid_number_sentence(const PhoneNumber& number, std::string_view text,
                                    bool international, const std::string& region) {
  std::string number_region;
  util().GetRegionCodeForCountryCode(number.country_code(), &number_region);
  const std::string where = international ? number_region : region;
  const std::string shown = quoted(text);
  switch (util().IsPossibleNumberWithReason(number)) {
    case PhoneNumberUtil::TOO_SHORT:
      return shown + " is too short for a number in " + where + "; check the digits, or " +
             std::string(international_hint);
    case PhoneNumberUtil::TOO_LONG:
      return shown + " is too long for a number in " + where + "; check the digits, or " +
             std::string(international_hint);
    default:
      return shown + " is not a valid number for " + where + "; check the digits, or " +
             std::string(international_hint);
  }
}

std::string type_name(PhoneNumberUtil::PhoneNumberType type) {
  switch (type) {
    case PhoneNumberUtil::MOBILE:
      return "mobile";
    case PhoneNumberUtil::FIXED_LINE:
      return "fixed-line";
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE:
      return "fixed-line-or-mobile";
    case PhoneNumberUtil::TOLL_FREE:
      return "toll-free";
    case PhoneNumberUtil::PREMIUM_RATE:
      return "premium-rate";
    case PhoneNumberUtil::SHARED_COST:
      return "shared-cost";
    case PhoneNumberUtil::VOIP:
      return "voip";
    case PhoneNumberUtil::PERSONAL_NUMBER:
      return "personal-number";
    case PhoneNumberUtil::PAGER:
      return "pager";
    case PhoneNumberUtil::UAN:
      return "uan";
    case PhoneNumberUtil::VOICEMAIL:
      return "voicemail";
    default:
      return "unknown";
  }
}

// The answers of the last few thousand distinct questions asked on this thread. libphonenumber
// runs ICU regular expressions on every call (ICU and libphonenumber held 7 % of serve's CPU
// samples at 100 sessions, most of it here: RCPT and the price look-up), while alerting traffic
// asks about the same few numbers over and over; its metadata never changes, so an answer stays
// right. Cleared whole when full: bounded, no eviction bookkeeping, no lock (one per thread).
template <class Value>
class recent_answers {
 public:
  template <class F>
  const Value& get(std::string key, F&& compute) {
    if (const auto it = answers_.find(key); it != answers_.end()) return it->second;
    if (answers_.size() >= limit) answers_.clear();
    return answers_.emplace(std::move(key), compute()).first->second;
  }

 private:
  static constexpr std::size_t limit = 4096;
  std::unordered_map<std::string, Value> answers_;
};

result<number_info, std::string> parse_uncached(std::string_view text,
                                                std::string_view default_region) {
  const std::string digits = digits_only(text);
  if (digits.empty()) {
    return fail(parse_error_sentence(PhoneNumberUtil::NOT_A_NUMBER, text, false, ""));
  }
  const bool international = digits.front() == '+';
  const std::string region = upper(default_region);
  PhoneNumber number;
  const auto error = util().Parse(digits, region.empty() ? "ZZ" : region, &number);
  if (error != PhoneNumberUtil::NO_PARSING_ERROR) {
    return fail(parse_error_sentence(error, text, international, region));
  }
  if (!util().IsValidNumber(number)) {
    return fail(invalid_number_sentence(number, text, international, region));
  }
  number_info info;
  util().Format(number, PhoneNumberUtil::E164, &info.e164);
  util().GetRegionCodeForNumber(number, &info.region);
  info.type = type_name(util().GetNumberType(number));
  return info;
}

std::string region_of_uncached(std::string_view e164) {
  PhoneNumber number;
  if (util().Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR)
    return {};
  std::string region;
  util().GetRegionCodeForNumber(number, &region);
  return region == "ZZ" ? std::string{} : region;
}

}  // namespace

result<number_info, std::string> parse(std::string_view text, std::string_view default_region) {
  thread_local recent_answers<result<number_info, std::string>> answers;
  std::string key(text);
  key += '\0';  // the error sentence quotes the text as given, so the key is all of it
  key += default_region;
  return answers.get(std::move(key), [&] { return parse_uncached(text, default_region); });
}

result<std::string, std::string> to_e164(std::string_view text, std::string_view default_region) {
  auto parsed = parse(text, default_region);
  if (!parsed) return fail(std::move(parsed.error()));
  return std::move(parsed->e164);
}

std::string region_of(std::string_view e164) {
  thread_local recent_answers<std::string> answers;
  return answers.get(std::string(e164), [&] { return region_of_uncached(e164); });
}

const std::vector<std::string_view>& number_type_names() {
  static const std::vector<std::string_view> names{
      "mobile",      "fixed-line", "fixed-line-or-mobile", "toll-free", "premium-rate",
      "shared-cost", "voip",       "personal-number",      "pager",     "uan",
      "voicemail",   "unknown"};
  return names;
}

namespace {

// Length of the country calling code at the start of "+CC...", 0 if there is none. Calling codes
// are prefix-free, so the first length that names a region (or "001", non-geographic) is it.
std::size_t country_code_length(std::string_view e164) {
  if (e164.empty() || e164.front() != '+') return 0;
  for (std::size_t length = 1; length <= 3 && length < e164.size(); ++length) {
    const std::string_view code = e164.substr(1, length);
    if (!std::all_of(code.begin(), code.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return 0;
    }
    std::string region;
    util().GetRegionCodeForCountryCode(std::stoi(std::string(code)), &region);
    if (region != "ZZ") return length;
  }
  return 0;
}

}  // namespace

std::string mask(std::string_view e164) {
  // At least this many characters are always hidden, so a short input is never shown whole.
  constexpr std::size_t min_hidden = 4;
  const std::size_t plus = (!e164.empty() && e164.front() == '+') ? 1 : 0;
  const std::string_view rest = e164.substr(plus);
  const std::size_t shown_budget = rest.size() > min_hidden ? rest.size() - min_hidden : 0;
  const std::size_t tail = std::min<std::size_t>(2, shown_budget / 2);
  const std::size_t head = std::min(country_code_length(e164) + 2, shown_budget - tail);

  std::string out(e164.substr(0, plus));
  out += rest.substr(0, head);
  out.append(rest.size() - head - tail, '*');
  out += rest.substr(rest.size() - tail);
  return out;
}

namespace {

// One code point of UTF-8 text from `at`, and how many octets it took; an invalid sequence is
// one octet read as U+FFFD.
std::pair<UChar32, std::size_t> code_point_at(std::string_view text, std::size_t at) {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  auto i = static_cast<std::int32_t>(at);
  UChar32 c = 0;
  U8_NEXT(bytes, i, static_cast<std::int32_t>(text.size()), c);
  if (c < 0) c = 0xFFFD;
  return {c, static_cast<std::size_t>(i) - at};
}

// A decimal digit of any script (ASCII, fullwidth, Arabic-Indic, ...): its value, else -1.
int digit_value(UChar32 c) {
  if (c >= '0' && c <= '9') return c - '0';
  return u_charType(c) == U_DECIMAL_DIGIT_NUMBER ? u_charDigitValue(c) : -1;
}

// What never stands inside a written number: the marks around addresses, quotes and brackets
// (a number followed by an escape sequence's "[2J" keeps its own last digits), and ':' and ';'
// (so that times and lists of short numbers are not read as one).
bool ends_a_number(UChar32 c) {
  return c < 0x80 &&
         std::string_view("<>[]{}@\"':;").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

std::string redact_numbers(std::string_view text) {
  constexpr int min_digits = 7;
  // Between two digits of one number: at most this many code points that are neither letters
  // nor digits nor ends_a_number (" / ", ") ", a zero-width space, or the "???" a log makes of
  // one).
  constexpr int max_separators = 3;
  std::string out;
  std::size_t i = 0;
  bool after_digit = false;
  while (i < text.size()) {
    const auto [c, size] = code_point_at(text, i);
    const bool is_digit = digit_value(c) >= 0;
    const bool plus =
        c == '+' && i + 1 < text.size() && digit_value(code_point_at(text, i + 1).first) >= 0;
    if (after_digit || (!is_digit && !plus)) {
      out.append(text.substr(i, size));
      after_digit = is_digit;
      i += size;
      continue;
    }
    // The run: digits and what people (or a log's escaping) put between them, ending on a
    // digit.
    std::size_t end = i;
    std::size_t run_end = i;  // just past the run's last digit
    std::string digits;
    if (plus) {
      digits = "+";
      ++end;
    }
    int count = 0;
    int separators = 0;
    while (end < text.size()) {
      const auto [d, d_size] = code_point_at(text, end);
      if (const int value = digit_value(d); value >= 0) {
        digits += static_cast<char>('0' + value);
        ++count;
        separators = 0;
        run_end = end + d_size;
      } else if (d == '+' || u_isalnum(d) || ends_a_number(d) || ++separators > max_separators) {
        break;
      }
      end += d_size;
    }
    if (count >= min_digits) {
      out += mask(digits);
      i = run_end;
      after_digit = true;
    } else {
      out.append(text.substr(i, size));
      after_digit = is_digit;
      i += size;
    }
  }
  return out;
}

bool is_known_region(std::string_view region) {
  static const std::set<std::string> regions = [] {
    std::set<std::string> out;
    util().GetSupportedRegions(&out);
    return out;
  }();
  return region.size() == 2 && regions.count(std::string(region)) > 0;
}

}  // namespace mail2sms::phone
