// Parsing and rendering of request templates; see request_template.hpp for the placeholders.
#include "core/connectors/http/request_template.hpp"

#include <cctype>

#include "core/sms/sms.hpp"

namespace mail2sms::http {
namespace {

std::optional<field> field_named(std::string_view name) {
  const auto& names = field_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<field>(i);
  }
  return std::nullopt;
}

std::string value_of(field f, const message_fields& v) {
  switch (f) {
    case field::to:
      return v.to;
    case field::to_digits:
      return !v.to.empty() && v.to.front() == '+' ? v.to.substr(1) : v.to;
    case field::from:
      return v.from;
    case field::text:
      return v.text;
    case field::coding:
      return v.coding;
    case field::udh:
      return v.udh;
    case field::udh_hex:
      return sms::to_hex({reinterpret_cast<const std::uint8_t*>(v.udh.data()), v.udh.size()});
    case field::payload_hex:
      return v.payload_hex;
    case field::message_id:
      return v.message_id;
    case field::part:
      return std::to_string(v.part);
    case field::parts:
      return std::to_string(v.parts);
  }
  return {};
}

}  // namespace

const std::vector<std::string_view>& field_names() {
  static const std::vector<std::string_view> names = {
      "to",      "to_digits",   "from",       "text", "coding", "udh",
      "udh_hex", "payload_hex", "message_id", "part", "parts"};
  return names;
}

std::string percent_encode(std::string_view raw) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size() * 3);
  for (const char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 0x0F]);
    }
  }
  return out;
}

std::string json_escape(std::string_view utf8) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(utf8.size() + 8);
  for (const char c : utf8) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20 || u == 0x7F) {
          out += "\\u00";
          out.push_back(hex[u >> 4]);
          out.push_back(hex[u & 0x0F]);
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

result<request_template, std::string> request_template::parse(std::string_view text, escaping how) {
  request_template t;
  t.how_ = how;
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = i + 1;
    if (text[i] == '{') {
      while (end < text.size() &&
             (std::islower(static_cast<unsigned char>(text[end])) || text[end] == '_'))
        ++end;
    }
    if (text[i] != '{' || end == i + 1 || end >= text.size() || text[end] != '}') {
      literal.push_back(text[i++]);  // not a placeholder: a literal character
      continue;
    }
    const std::string_view name = text.substr(i + 1, end - i - 1);
    const auto f = field_named(name);
    if (!f) {
      std::string known;
      for (const auto n : field_names())
        known += (known.empty() ? "{" : ", {") + std::string(n) + "}";
      return fail("unknown placeholder {" + std::string(name) + "}; known: " + known);
    }
    if (*f == field::udh && how != escaping::url)
      return fail(
          std::string("{udh} is raw octets and only fits a URL or a form body; use {udh_hex}"));
    if (!literal.empty()) t.pieces_.push_back({std::move(literal), std::nullopt});
    literal.clear();
    t.pieces_.push_back({{}, f});
    i = end + 1;
  }
  if (!literal.empty()) t.pieces_.push_back({std::move(literal), std::nullopt});
  return t;
}

std::string request_template::render(const message_fields& values) const {
  std::string out;
  for (const auto& p : pieces_) {
    if (!p.placeholder) {
      out += p.literal;
      continue;
    }
    const std::string value = value_of(*p.placeholder, values);
    switch (how_) {
      case escaping::url:
        out += percent_encode(value);
        break;
      case escaping::json:
        out += json_escape(value);
        break;
      case escaping::none:
        out += value;
        break;
    }
  }
  return out;
}

bool request_template::uses(field f) const {
  for (const auto& p : pieces_) {
    if (p.placeholder == f) return true;
  }
  return false;
}

}  // namespace mail2sms::http
