#include "sql/stored_parts.hpp"

#include <stdexcept>

namespace mail2sms::sql {

namespace {

constexpr unsigned char by_text = 0xFF;  // the by-text form's first octet

void check_fits(const std::vector<std::uint8_t>& field, std::size_t limit = 255) {
  if (field.size() > limit) {
    throw std::logic_error("an SMS part field of " + std::to_string(field.size()) +
                           " octets does not fit messages.parts");
  }
}

void append_field(packed_parts& out, const std::vector<std::uint8_t>& field) {
  out.push_back(static_cast<unsigned char>(field.size()));
  // From the pointer: append(begin, end) of a vector's iterators built a temporary string first.
  out.append(field.data(), field.size());
}

// The field at `at` (its length octet, then the octets), moving `at` past it.
std::optional<std::vector<std::uint8_t>> take_field(std::span<const unsigned char> packed,
                                                    std::size_t& at) {
  if (at >= packed.size()) return std::nullopt;
  const std::size_t size = packed[at++];
  if (packed.size() - at < size) return std::nullopt;
  std::vector<std::uint8_t> field(packed.begin() + static_cast<std::ptrdiff_t>(at),
                                  packed.begin() + static_cast<std::ptrdiff_t>(at + size));
  at += size;
  return field;
}

}  // namespace

void append_packed(packed_parts& out, std::span<const sms::segment> segments) {
  for (const auto& s : segments) {  // all checked first: a refusal leaves `out` as it was
    check_fits(s.udh, 254);         // a first octet of 255 would read as the by-text form
    check_fits(s.payload);
  }
  for (const auto& s : segments) {
    append_field(out, s.udh);
    append_field(out, s.payload);
  }
}

bool append_packed_by_text(packed_parts& out, const sms::encoded_message& message) {
  const auto& sizes = message.text_sizes;
  if (sizes.size() != message.segments.size()) return false;
  std::size_t total = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    check_fits(message.segments[i].udh, 254);
    if (sizes[i] > 0xFFFF) return false;
    total += sizes[i];
  }
  if (total != message.text.size()) return false;
  out.push_back(by_text);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    append_field(out, message.segments[i].udh);
    out.push_back(static_cast<unsigned char>(sizes[i] >> 8));
    out.push_back(static_cast<unsigned char>(sizes[i] & 0xFF));
  }
  return true;
}

std::optional<std::vector<sms::segment>> unpack_parts(std::span<const unsigned char> packed,
                                                      std::string_view text, sms::encoding coding) {
  std::vector<sms::segment> out;
  if (!packed.empty() && packed[0] == by_text) {
    std::size_t at = 1, used = 0;
    while (at < packed.size()) {
      auto udh = take_field(packed, at);
      if (!udh || packed.size() - at < 2) return std::nullopt;
      const std::size_t size = std::size_t{packed[at]} << 8 | packed[at + 1];
      at += 2;
      if (text.size() - used < size) return std::nullopt;
      auto payload = sms::payload_of(text.substr(used, size), coding, *udh);
      if (!payload) return std::nullopt;
      used += size;
      out.push_back({std::move(*udh), std::move(*payload)});
    }
    if (used != text.size() || out.empty()) return std::nullopt;
    return out;
  }
  std::size_t at = 0;
  while (at < packed.size()) {
    auto udh = take_field(packed, at);
    if (!udh) return std::nullopt;
    auto payload = take_field(packed, at);
    if (!payload) return std::nullopt;
    out.push_back({std::move(*udh), std::move(*payload)});
  }
  return out;
}

}  // namespace mail2sms::sql
