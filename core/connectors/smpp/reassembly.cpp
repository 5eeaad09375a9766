// Reading submitted short messages back into text for the simulator's report.
#include "core/connectors/smpp/reassembly.hpp"

#include <algorithm>

#include "core/sms/sms.hpp"

namespace mail2sms::smpp {
namespace {

constexpr std::uint8_t udhi = 0x40;

std::optional<concatenation_info> checked(concatenation_info c) {
  if (c.total == 0 || c.sequence == 0 || c.sequence > c.total) return std::nullopt;
  if (c.total == 1) return std::nullopt;  // one part of one: nothing to put together
  return c;
}

std::string latin1_to_utf8(std::span<const std::uint8_t> payload) {
  std::string out;
  for (const auto b : payload) {
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
    } else {
      out.push_back(static_cast<char>(0xC0 | (b >> 6)));
      out.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    }
  }
  return out;
}

}  // namespace

split_message split_user_data(const short_message_fields& m) {
  const std::vector<std::uint8_t>* data = &m.short_message;
  std::optional<std::vector<std::uint8_t>> payload_tlv;
  if (m.short_message.empty()) {
    payload_tlv = message_payload(m.tlvs);
    if (payload_tlv) data = &*payload_tlv;
  }
  split_message out;
  const std::size_t udh_size = (m.esm_class & udhi) && !data->empty() ? data->front() + 1U : 0U;
  if (udh_size == 0 || udh_size > data->size()) {
    out.payload = *data;
    return out;
  }
  out.udh.assign(data->begin(), data->begin() + static_cast<std::ptrdiff_t>(udh_size));
  out.payload.assign(data->begin() + static_cast<std::ptrdiff_t>(udh_size), data->end());
  return out;
}

std::optional<concatenation_info> concatenation_of(std::span<const std::uint8_t> udh,
                                                   const tlv_list& tlvs) {
  if (!udh.empty()) {
    const std::size_t end = std::min<std::size_t>(udh.size(), std::size_t{udh[0]} + 1);
    for (std::size_t i = 1; i + 2 <= end;) {
      const auto iei = udh[i];
      const std::size_t length = udh[i + 1];
      const std::size_t value = i + 2;
      if (value + length > end) break;
      if (iei == 0x00 && length == 3) {
        return checked({udh[value], udh[value + 1], udh[value + 2]});
      }
      if (iei == 0x08 && length == 4) {
        return checked({static_cast<std::uint16_t>((udh[value] << 8) | udh[value + 1]),
                        udh[value + 2], udh[value + 3]});
      }
      i = value + length;
    }
  }
  const auto ref = sar_msg_ref_num(tlvs);
  const auto total = sar_total_segments(tlvs);
  const auto seq = sar_segment_seqnum(tlvs);
  if (ref && total && seq) return checked({*ref, *total, *seq});
  return std::nullopt;
}

std::string decode_text(std::uint8_t data_coding, std::span<const std::uint8_t> udh,
                        std::span<const std::uint8_t> payload) {
  std::string text;
  switch (data_coding) {
    case 3:
      text = latin1_to_utf8(payload);
      break;
    case 8:
      text = sms::decode(sms::encoding::ucs2, payload);
      break;
    default:
      text = sms::decode(sms::encoding::gsm7, udh, payload);
      break;
  }
  // U+0000 (Latin-1 0x00, UCS-2 0x0000) is no character anyone typed, and no database text or
  // mail body can carry it: U+FFFD instead, so the reply is stored and forwarded like any other.
  for (auto at = text.find('\0'); at != std::string::npos; at = text.find('\0', at + 3))
    text.replace(at, 1, "\xEF\xBF\xBD");
  return text;
}

std::optional<completed_message> reassembler::add(part p) {
  if (!p.concatenation) {
    return completed_message{std::move(p.source),
                             std::move(p.destination),
                             std::move(p.text),
                             p.data_coding,
                             {std::move(p.message_id)}};
  }
  const auto& c = *p.concatenation;
  const key k{p.source, p.destination, c.reference, c.total};
  auto it = pending_.find(k);
  if (it == pending_.end()) {
    if (pending_.size() >= max_pending_) {
      auto oldest = pending_.begin();
      for (auto i = pending_.begin(); i != pending_.end(); ++i) {
        if (i->second.order < oldest->second.order) oldest = i;
      }
      pending_.erase(oldest);
    }
    pending state;
    state.order = next_order_++;
    state.data_coding = p.data_coding;
    state.parts.resize(c.total);
    it = pending_.emplace(k, std::move(state)).first;
  }
  it->second.parts[c.sequence - 1U] = std::make_pair(std::move(p.text), std::move(p.message_id));
  for (const auto& part : it->second.parts) {
    if (!part) return std::nullopt;
  }
  completed_message done{p.source, p.destination, {}, it->second.data_coding, {}};
  for (auto& part : it->second.parts) {
    done.text += part->first;
    done.message_ids.push_back(std::move(part->second));
  }
  pending_.erase(it);
  return done;
}

std::string delivery_receipt_text(std::string_view message_id, std::string_view submit_date,
                                  std::string_view done_date) {
  std::string out = "id:";
  out.append(message_id);
  out += " sub:001 dlvr:001 submit date:";
  out.append(submit_date);
  out += " done date:";
  out.append(done_date);
  out += " stat:DELIVRD err:000 text:";
  return out;
}

}  // namespace mail2sms::smpp
