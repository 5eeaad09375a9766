// RFC 2231 parameter values: continuations collected by index, extended segments percent-decoded,
// the whole converted from the charset the first segment names.
#include "core/mail/mime_params.hpp"

#include <map>

#include "core/mail/ascii_text.hpp"
#include "core/mail/charset.hpp"

namespace mail2sms::mail {
namespace {

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

struct segment_value {
  std::string text;
  bool extended = false;
};

// "name", "name*", "name*N", "name*N*": the segment index (-1 for the unnumbered forms) and
// whether it is extended; false when `written` is some other parameter.
bool segment_of(std::string_view written, std::string_view name, int& index, bool& extended) {
  if (written.size() < name.size() || !iequals(written.substr(0, name.size()), name)) return false;
  std::string_view rest = written.substr(name.size());
  index = -1;
  extended = false;
  if (rest.empty()) return true;
  if (rest.front() != '*') return false;
  rest.remove_prefix(1);
  if (rest.empty()) {
    extended = true;
    return true;
  }
  if (rest.back() == '*') {
    extended = true;
    rest.remove_suffix(1);
  }
  if (rest.empty() || rest.size() > 3) return false;
  index = 0;
  for (char c : rest) {
    if (c < '0' || c > '9') return false;
    index = index * 10 + (c - '0');
  }
  return true;
}

}  // namespace

std::string param_value(const raw_params& params, std::string_view name) {
  std::map<int, segment_value> segments;
  for (const auto& [written, value] : params) {
    int index = 0;
    bool extended = false;
    if (segment_of(written, name, index, extended)) {
      // "name*" beside a plain "name" (RFC 2231 section 4: for older readers) wins.
      auto [it, added] = segments.try_emplace(index, segment_value{value, extended});
      if (!added && extended && !it->second.extended) it->second = {value, extended};
    }
  }
  if (segments.empty()) return {};
  // An unnumbered form beside numbered ones: the unnumbered one is the whole value.
  if (segments.size() > 1 && segments.contains(-1)) {
    const segment_value only = segments[-1];
    segments.clear();
    segments[-1] = only;
  }
  std::string charset;
  std::string bytes;
  bool first = true;
  for (const auto& [index, segment] : segments) {
    std::string_view text = segment.text;
    if (segment.extended && first) {
      // charset'language'value
      const std::size_t quote1 = text.find('\'');
      const std::size_t quote2 =
          quote1 == std::string_view::npos ? quote1 : text.find('\'', quote1 + 1);
      if (quote2 != std::string_view::npos) {
        charset = std::string(trim(text.substr(0, quote1)));
        text = text.substr(quote2 + 1);
      }
    }
    bytes += segment.extended ? percent_decode(text) : std::string(text);
    first = false;
  }
  return to_utf8(bytes, charset);
}

}  // namespace mail2sms::mail
