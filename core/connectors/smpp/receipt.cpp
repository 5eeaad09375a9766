// Delivery receipt parsing and message id normalisation (see receipt.hpp).
#include "core/connectors/smpp/receipt.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "core/connectors/smpp/command_status.hpp"
#include "core/connectors/smpp/reassembly.hpp"

namespace mail2sms::smpp {
namespace {

constexpr std::uint8_t esm_type_mask = 0x3C;
constexpr std::uint8_t esm_smsc_receipt = 0x04;
constexpr std::uint8_t esm_intermediate = 0x20;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> number_of(std::string_view s, int base) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return std::nullopt;
    const auto b = static_cast<std::uint64_t>(base);
    if (v > (UINT64_MAX - static_cast<std::uint64_t>(digit)) / b) return std::nullopt;
    v = v * b + static_cast<std::uint64_t>(digit);
  }
  return v;
}

std::string state_name(message_state s) {
  switch (s) {
    case message_state::enroute: return "ENROUTE";
    case message_state::delivered: return "DELIVRD";
    case message_state::expired: return "EXPIRED";
    case message_state::deleted: return "DELETED";
    case message_state::undeliverable: return "UNDELIV";
    case message_state::accepted: return "ACCEPTD";
    case message_state::unknown: return "UNKNOWN";
    case message_state::rejected: return "REJECTD";
  }
  return "UNKNOWN";
}

// The receipt's text states, upper-cased; the long forms some SMSCs write become the short ones.
std::string canonical_stat(std::string_view stat) {
  std::string s(stat);
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (s == "DELIVERED") return "DELIVRD";
  if (s == "UNDELIVERABLE") return "UNDELIV";
  if (s == "REJECTED") return "REJECTD";
  if (s == "ACCEPTED") return "ACCEPTD";
  return s;
}

std::string text_of(const deliver_sm& d) {
  const auto data = split_user_data(d);
  return ascii_only(std::string(data.payload.begin(), data.payload.end()));
}

}  // namespace

std::optional<id_format> id_format_from(std::string_view name) {
  if (name == "as-is") return id_format::as_is;
  if (name == "decimal") return id_format::decimal;
  if (name == "hex") return id_format::hex;
  return std::nullopt;
}

std::string normalise_message_id(std::string_view id, id_format format) {
  id = trim(id);
  if (format == id_format::as_is) return std::string(id);
  const auto n = number_of(id, format == id_format::hex ? 16 : 10);
  if (!n) return lower(id);
  return std::to_string(*n);
}

receipt_text_fields parse_receipt_text(std::string_view text) {
  receipt_text_fields out;
  const std::string low = lower(text);
  // A key starts the text or follows a space; its value runs to the next space.
  auto field = [&](std::string_view key) -> std::string {
    std::size_t at = 0;
    while ((at = low.find(key, at)) != std::string::npos) {
      if (at == 0 || low[at - 1] == ' ') {
        const auto start = at + key.size();
        const auto end = std::min(low.find(' ', start), text.size());
        return std::string(text.substr(start, end - start));
      }
      at += key.size();
    }
    return {};
  };
  out.id = field("id:");
  out.stat = field("stat:");
  out.err = field("err:");
  return out;
}

std::optional<parsed_receipt> receipt_of(const deliver_sm& d, id_format submit_ids,
                                         id_format text_ids, std::string* bad) {
  const auto tlv_id = receipted_message_id(d.tlvs);
  const auto type = static_cast<std::uint8_t>(d.esm_class & esm_type_mask);
  if (!tlv_id && type != esm_smsc_receipt && type != esm_intermediate) return std::nullopt;
  const auto text = parse_receipt_text(text_of(d));
  parsed_receipt r;
  if (tlv_id && !trim(*tlv_id).empty()) {
    r.message_id = normalise_message_id(*tlv_id, submit_ids);
  } else if (!text.id.empty()) {
    r.message_id = normalise_message_id(text.id, text_ids);
  }
  if (const auto state = get_message_state(d.tlvs)) {
    r.state = state_name(*state);
  } else {
    r.state = canonical_stat(text.stat);
  }
  if (const auto* nec = find_tlv(d.tlvs, tag::network_error_code); nec && nec->value.size() == 3) {
    const unsigned code = (static_cast<unsigned>(nec->value[1]) << 8) | nec->value[2];
    r.error_code = std::to_string(code);
  } else {
    r.error_code = text.err;
  }
  if (r.message_id.empty() || r.state.empty()) {
    if (bad) *bad = r.message_id.empty() ? "a receipt without a message id" : "a receipt without a state";
    return std::nullopt;
  }
  return r;
}

std::string submitted_message_id(std::string_view normalised, id_format format) {
  if (format != id_format::hex) return std::string(normalised);
  const auto value = number_of(normalised, 10);
  if (!value) return std::string(normalised);  // it did not read as hex either: kept as it came
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  auto v = *value;
  do {
    out.insert(out.begin(), digits[v % 16]);
    v /= 16;
  } while (v != 0);
  return out;
}

std::string receipt_state_of(std::uint8_t value) {
  if (value < 1 || value > 8) return {};
  return state_name(static_cast<message_state>(value));
}

core::query_result query_result_of(const pdu& response) {
  core::query_result out;
  const auto* body = std::get_if<query_sm_resp>(&response.body);
  if (response.command == command_id::query_sm_resp && response.status == status::ok &&
      body != nullptr) {
    out.state = receipt_state_of(body->message_state);
    if (out.state.empty()) {
      out.reason = "query_sm_resp with message_state " + std::to_string(body->message_state) +
                   ", which SMPP 3.4 does not define";
      return out;
    }
    out.what = core::query_result::kind::state;
    if (body->error_code != 0) out.error_code = std::to_string(body->error_code);
    return out;
  }
  out.what = response.status == status::query_failed || response.status == status::invalid_message_id
                 ? core::query_result::kind::not_found
                 : core::query_result::kind::failed;
  out.reason = "the SMSC answered " + std::string(to_string(response.command)) + " " +
               status::describe(response.status);
  return out;
}

core::inbound_message reply_of(std::string connector, const deliver_sm& d,
                               std::string_view default_source) {
  const auto data = split_user_data(d);
  std::optional<core::reply_part> part;
  if (const auto c = concatenation_of(data.udh, d.tlvs)) {
    part = core::reply_part{.reference = c->reference, .total = c->total, .number = c->sequence};
  }
  return {.connector = std::move(connector),
          .source = d.source_addr,
          .destination = d.destination_addr,
          .text = decode_text(d.data_coding, data.udh, data.payload),
          .part = part,
          .default_source = std::string(default_source)};
}

}  // namespace mail2sms::smpp
