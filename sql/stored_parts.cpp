#include "sql/stored_parts.hpp"

#include <stdexcept>

namespace mail2sms::sql {

namespace {

void check_fits(const std::vector<std::uint8_t>& field) {
  if (field.size() > 255) {
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
    check_fits(s.udh);
    check_fits(s.payload);
  }
  for (const auto& s : segments) {
    append_field(out, s.udh);
    append_field(out, s.payload);
  }
}

std::optional<std::vector<sms::segment>> unpack_parts(std::span<const unsigned char> packed) {
  std::vector<sms::segment> out;
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
