// Addressing and data_coding rules for outgoing submit_sm.
#include "core/connectors/smpp/addressing.hpp"

#include "core/connectors/smpp/reassembly.hpp"

#include <algorithm>
#include <span>

namespace mail2sms::smpp {
namespace {

constexpr std::size_t max_address = 20;  // source_addr / destination_addr without the NUL
constexpr std::size_t max_alphanumeric = 11;
constexpr std::size_t max_short_message = 254;

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

result<address, std::string> classify_source(std::string_view id) {
  if (id.empty()) return address{};
  const auto digits = id.front() == '+' ? id.substr(1) : id;
  if (all_digits(digits)) {
    if (digits.size() > max_address) {
      return fail(std::string("the numeric sender id is longer than 20 digits"));
    }
    return address{ton_international, npi_isdn, std::string(digits)};
  }
  if (id.size() > max_alphanumeric) {
    return fail(std::string("the alphanumeric sender id is longer than 11 characters"));
  }
  return address{ton_alphanumeric, npi_unknown, std::string(id)};
}

// The UDH without its concatenation element (IEI 0x00 or 0x08), for SAR mode where the TLVs
// carry it: what is left (national language shift elements) still has to go in the UDH. Empty
// when nothing is left.
std::vector<std::uint8_t> udh_without_concatenation(std::span<const std::uint8_t> udh) {
  std::vector<std::uint8_t> out{0};
  const std::size_t end = udh.empty() ? 0 : std::min<std::size_t>(udh.size(), udh[0] + 1U);
  for (std::size_t i = 1; i + 2 <= end;) {
    const std::size_t element_end = i + 2 + udh[i + 1];
    if (element_end > end) break;
    if (udh[i] != 0x00 && udh[i] != 0x08) {
      out.insert(out.end(), udh.begin() + static_cast<std::ptrdiff_t>(i),
                 udh.begin() + static_cast<std::ptrdiff_t>(element_end));
    }
    i = element_end;
  }
  if (out.size() == 1) return {};
  out[0] = static_cast<std::uint8_t>(out.size() - 1);
  return out;
}

}  // namespace

result<address, std::string> source_address(std::string_view sender_id,
                                            std::string_view default_source) {
  return classify_source(sender_id.empty() ? default_source : sender_id);
}

result<address, std::string> destination_address(std::string_view e164) {
  const auto digits = !e164.empty() && e164.front() == '+' ? e164.substr(1) : e164;
  if (!all_digits(digits) || digits.size() > max_address) {
    return fail(std::string("the recipient is not a number of 1 to 20 digits"));
  }
  return address{ton_international, npi_isdn, std::string(digits)};
}

result<std::vector<submit_sm>, std::string> to_submit_sms(const core::queued_message& message,
                                                          const submit_options& options) {
  auto source = source_address(message.sender_id, options.default_source);
  if (!source) return fail(source.error());
  auto destination = destination_address(message.recipient);
  if (!destination) return fail(destination.error());
  if (message.segments.empty()) return fail(std::string("the message has no segments"));

  std::vector<submit_sm> out;
  out.reserve(message.segments.size());
  for (const auto& segment : message.segments) {
    if (segment.udh.size() + segment.payload.size() > max_short_message) {
      return fail(std::string("a segment is longer than 254 octets"));
    }
    submit_sm sm;
    sm.source_addr_ton = source->ton;
    sm.source_addr_npi = source->npi;
    sm.source_addr = source->value;
    sm.dest_addr_ton = destination->ton;
    sm.dest_addr_npi = destination->npi;
    sm.destination_addr = destination->value;
    sm.esm_class = segment.udh.empty() ? 0 : esm_class_udhi;
    sm.registered_delivery = options.registered_delivery;
    sm.data_coding = message.coding == sms::encoding::ucs2 ? data_coding_ucs2 : data_coding_gsm7;
    const auto concatenation = options.sar ? concatenation_of(segment.udh, {}) : std::nullopt;
    if (concatenation) {
      // The TLVs carry the concatenation (a 16-bit reference whole); national language shift
      // elements have no TLV, so they stay in a UDH of their own.
      set_sar(sm.tlvs, concatenation->reference, concatenation->total, concatenation->sequence);
      sm.short_message = udh_without_concatenation(segment.udh);
      sm.esm_class = sm.short_message.empty() ? 0 : esm_class_udhi;
      sm.short_message.insert(sm.short_message.end(), segment.payload.begin(),
                              segment.payload.end());
      out.push_back(std::move(sm));
      continue;
    }
    sm.short_message = segment.udh;
    sm.short_message.insert(sm.short_message.end(), segment.payload.begin(), segment.payload.end());
    out.push_back(std::move(sm));
  }
  return out;
}

std::string mask_number(std::string_view number) {
  std::string out(number);
  const std::size_t keep_front = number.starts_with('+') ? 5 : 4;
  const std::size_t keep_back = 2;
  if (out.size() <= keep_front + keep_back) {
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(std::min(out.size(), std::size_t{1})),
              out.end(), '*');
    return out;
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(keep_front),
            out.end() - static_cast<std::ptrdiff_t>(keep_back), '*');
  return out;
}

}  // namespace mail2sms::smpp
