// The SMPP 3.4 codec: big-endian integers, C-octet strings with their maximum sizes (including the
// NUL, as the spec counts them), and TLVs. Bounds are checked before every read.
#include "core/connectors/smpp/pdu.hpp"

#include <algorithm>
#include <type_traits>

#include "core/connectors/smpp/command_status.hpp"

namespace mail2sms::smpp {
namespace {

// Field sizes as SMPP 3.4 gives them: C-octet strings include their terminating NUL.
constexpr std::size_t system_id_size = 16;
constexpr std::size_t password_size = 9;
constexpr std::size_t system_type_size = 13;
constexpr std::size_t address_range_size = 41;
constexpr std::size_t service_type_size = 6;
constexpr std::size_t address_size = 21;
constexpr std::size_t time_size = 17;
constexpr std::size_t message_id_size = 65;
constexpr std::size_t max_short_message = 254;
constexpr std::size_t data_sm_address_size = 65;

// Reads fields from a body; the first failure sticks and later reads do nothing.
class body_reader {
 public:
  explicit body_reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool failed() const { return !error_.empty(); }
  bool at_end() const { return pos_ == bytes_.size(); }
  const std::string& error() const { return error_; }
  std::uint32_t error_status() const { return error_status_; }

  std::uint8_t u8() {
    if (!need(1, "octet")) return 0;
    return bytes_[pos_++];
  }
  std::uint16_t u16() {
    if (!need(2, "short")) return 0;
    const auto v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::string cstring(std::size_t size, const char* field) {
    if (failed()) return {};
    const auto rest = bytes_.subspan(pos_);
    const auto limit = std::min(rest.size(), size);
    const auto nul =
        std::find(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(limit), std::uint8_t{0});
    if (nul == rest.begin() + static_cast<std::ptrdiff_t>(limit)) {
      fail(std::string(field) +
               (limit < size ? " runs past the end of the PDU" : " is longer than its maximum"),
           status::invalid_cmd_length);
      return {};
    }
    std::string value(rest.begin(), nul);
    pos_ += value.size() + 1;
    return ascii_only(std::move(value));
  }
  std::vector<std::uint8_t> octets(std::size_t n, const char* field) {
    if (!need(n, field)) return {};
    std::vector<std::uint8_t> v(bytes_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                bytes_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return v;
  }
  tlv_list tlvs() {
    tlv_list list;
    while (!failed() && !at_end()) {
      if (bytes_.size() - pos_ < 4) {
        fail("optional parameter header is truncated", status::invalid_tlv_stream);
        break;
      }
      tlv t;
      t.tag = u16();
      const auto length = u16();
      if (bytes_.size() - pos_ < length) {
        fail("optional parameter runs past the end of the PDU", status::invalid_tlv_length);
        break;
      }
      t.value = octets(length, "optional parameter");
      list.push_back(std::move(t));
    }
    return list;
  }
  void fail(std::string why, std::uint32_t code) {
    if (failed()) return;
    error_ = std::move(why);
    error_status_ = code;
  }

 private:
  bool need(std::size_t n, const char* field) {
    if (failed()) return false;
    if (bytes_.size() - pos_ < n) {
      fail(std::string(field) + " runs past the end of the PDU", status::invalid_cmd_length);
      return false;
    }
    return true;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  std::string error_;
  std::uint32_t error_status_ = 0;
};

// Appends fields; the first field that does not fit makes the whole encode fail.
class body_writer {
 public:
  std::vector<std::uint8_t>& bytes() { return bytes_; }
  const std::string& error() const { return error_; }

  void u8(std::uint8_t v) { bytes_.push_back(v); }
  void u16(std::uint16_t v) {
    bytes_.push_back(static_cast<std::uint8_t>(v >> 8));
    bytes_.push_back(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      bytes_.push_back(static_cast<std::uint8_t>(v >> shift));
  }
  void cstring(const std::string& value, std::size_t size, const char* field) {
    if (value.size() + 1 > size || value.find('\0') != std::string::npos) {
      fail(std::string(field) + " is longer than " + std::to_string(size - 1) +
           " characters or contains NUL");
      return;
    }
    bytes_.insert(bytes_.end(), value.begin(), value.end());
    bytes_.push_back(0);
  }
  void tlvs(const tlv_list& list) {
    for (const auto& t : list) {
      if (t.value.size() > 0xFFFF) {
        fail("optional parameter value is longer than 65535 octets");
        return;
      }
      u16(t.tag);
      u16(static_cast<std::uint16_t>(t.value.size()));
      bytes_.insert(bytes_.end(), t.value.begin(), t.value.end());
    }
  }
  void fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::string error_;
};

std::uint32_t read_u32(std::span<const std::uint8_t> b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         std::uint32_t{b[3]};
}

// --- bodies -------------------------------------------------------------------------------

bind_body read_bind(body_reader& r) {
  bind_body b;
  b.system_id = r.cstring(system_id_size, "system_id");
  b.password = r.cstring(password_size, "password");
  b.system_type = r.cstring(system_type_size, "system_type");
  b.interface_version = r.u8();
  b.addr_ton = r.u8();
  b.addr_npi = r.u8();
  b.address_range = r.cstring(address_range_size, "address_range");
  return b;
}

void write_bind(body_writer& w, const bind_body& b) {
  w.cstring(b.system_id, system_id_size, "system_id");
  w.cstring(b.password, password_size, "password");
  w.cstring(b.system_type, system_type_size, "system_type");
  w.u8(b.interface_version);
  w.u8(b.addr_ton);
  w.u8(b.addr_npi);
  w.cstring(b.address_range, address_range_size, "address_range");
}

template <class Body>
Body read_short_message(body_reader& r) {
  Body m;
  m.service_type = r.cstring(service_type_size, "service_type");
  m.source_addr_ton = r.u8();
  m.source_addr_npi = r.u8();
  m.source_addr = r.cstring(address_size, "source_addr");
  m.dest_addr_ton = r.u8();
  m.dest_addr_npi = r.u8();
  m.destination_addr = r.cstring(address_size, "destination_addr");
  m.esm_class = r.u8();
  m.protocol_id = r.u8();
  m.priority_flag = r.u8();
  m.schedule_delivery_time = r.cstring(time_size, "schedule_delivery_time");
  m.validity_period = r.cstring(time_size, "validity_period");
  m.registered_delivery = r.u8();
  m.replace_if_present_flag = r.u8();
  m.data_coding = r.u8();
  m.sm_default_msg_id = r.u8();
  const auto sm_length = r.u8();
  if (!r.failed() && sm_length > max_short_message) {
    r.fail("sm_length is above 254", status::invalid_msg_length);
  }
  m.short_message = r.octets(sm_length, "short_message");
  m.tlvs = r.tlvs();
  return m;
}

void write_short_message(body_writer& w, const short_message_fields& m) {
  w.cstring(m.service_type, service_type_size, "service_type");
  w.u8(m.source_addr_ton);
  w.u8(m.source_addr_npi);
  w.cstring(m.source_addr, address_size, "source_addr");
  w.u8(m.dest_addr_ton);
  w.u8(m.dest_addr_npi);
  w.cstring(m.destination_addr, address_size, "destination_addr");
  w.u8(m.esm_class);
  w.u8(m.protocol_id);
  w.u8(m.priority_flag);
  w.cstring(m.schedule_delivery_time, time_size, "schedule_delivery_time");
  w.cstring(m.validity_period, time_size, "validity_period");
  w.u8(m.registered_delivery);
  w.u8(m.replace_if_present_flag);
  w.u8(m.data_coding);
  w.u8(m.sm_default_msg_id);
  if (m.short_message.size() > max_short_message) {
    w.fail("short_message is longer than 254 octets (use message_payload)");
    return;
  }
  w.u8(static_cast<std::uint8_t>(m.short_message.size()));
  w.bytes().insert(w.bytes().end(), m.short_message.begin(), m.short_message.end());
  w.tlvs(m.tlvs);
}

data_sm read_data_sm(body_reader& r) {
  data_sm m;
  m.service_type = r.cstring(service_type_size, "service_type");
  m.source_addr_ton = r.u8();
  m.source_addr_npi = r.u8();
  m.source_addr = r.cstring(data_sm_address_size, "source_addr");
  m.dest_addr_ton = r.u8();
  m.dest_addr_npi = r.u8();
  m.destination_addr = r.cstring(data_sm_address_size, "destination_addr");
  m.esm_class = r.u8();
  m.registered_delivery = r.u8();
  m.data_coding = r.u8();
  m.tlvs = r.tlvs();
  return m;
}

void write_data_sm(body_writer& w, const data_sm& m) {
  w.cstring(m.service_type, service_type_size, "service_type");
  w.u8(m.source_addr_ton);
  w.u8(m.source_addr_npi);
  w.cstring(m.source_addr, data_sm_address_size, "source_addr");
  w.u8(m.dest_addr_ton);
  w.u8(m.dest_addr_npi);
  w.cstring(m.destination_addr, data_sm_address_size, "destination_addr");
  w.u8(m.esm_class);
  w.u8(m.registered_delivery);
  w.u8(m.data_coding);
  w.tlvs(m.tlvs);
}

query_sm read_query_sm(body_reader& r) {
  query_sm q;
  q.message_id = r.cstring(message_id_size, "message_id");
  q.source_addr_ton = r.u8();
  q.source_addr_npi = r.u8();
  q.source_addr = r.cstring(address_size, "source_addr");
  return q;
}

query_sm_resp read_query_sm_resp(body_reader& r) {
  query_sm_resp q;
  if (r.at_end()) return q;  // a refusal without its body
  q.message_id = r.cstring(message_id_size, "message_id");
  q.final_date = r.cstring(time_size, "final_date");
  q.message_state = r.u8();
  q.error_code = r.u8();
  return q;
}

// A response may come without its body when its status is an error; SMSCs also add TLVs or
// padding we do not use, so what follows the message_id is ignored.
std::string read_optional_message_id(body_reader& r) {
  if (r.at_end()) return {};
  return r.cstring(message_id_size, "message_id");
}

// Which body alternative belongs to a command (for encode's consistency check and decode).
template <class T>
std::size_t index_of() {
  return pdu_body(std::in_place_type<T>).index();
}

std::size_t body_index_for(command_id id) {
  switch (id) {
    case command_id::bind_receiver:
    case command_id::bind_transmitter:
    case command_id::bind_transceiver:
      return index_of<bind_body>();
    case command_id::bind_receiver_resp:
    case command_id::bind_transmitter_resp:
    case command_id::bind_transceiver_resp:
      return index_of<bind_resp>();
    case command_id::submit_sm:
      return index_of<submit_sm>();
    case command_id::submit_sm_resp:
      return index_of<submit_sm_resp>();
    case command_id::deliver_sm:
      return index_of<deliver_sm>();
    case command_id::deliver_sm_resp:
      return index_of<deliver_sm_resp>();
    case command_id::data_sm:
      return index_of<data_sm>();
    case command_id::data_sm_resp:
      return index_of<data_sm_resp>();
    case command_id::query_sm:
      return index_of<query_sm>();
    case command_id::query_sm_resp:
      return index_of<query_sm_resp>();
    case command_id::generic_nack:
    case command_id::unbind:
    case command_id::unbind_resp:
    case command_id::enquire_link:
    case command_id::enquire_link_resp:
      return index_of<std::monostate>();
  }
  return index_of<raw_body>();
}

pdu_body read_body(command_id id, body_reader& r, std::span<const std::uint8_t> bytes) {
  switch (id) {
    case command_id::bind_receiver:
    case command_id::bind_transmitter:
    case command_id::bind_transceiver:
      return read_bind(r);
    case command_id::bind_receiver_resp:
    case command_id::bind_transmitter_resp:
    case command_id::bind_transceiver_resp: {
      bind_resp b;
      if (!r.at_end()) {
        b.system_id = r.cstring(system_id_size, "system_id");
        b.tlvs = r.tlvs();
      }
      return b;
    }
    case command_id::submit_sm:
      return read_short_message<submit_sm>(r);
    case command_id::deliver_sm:
      return read_short_message<deliver_sm>(r);
    case command_id::submit_sm_resp:
      return submit_sm_resp{read_optional_message_id(r)};
    case command_id::deliver_sm_resp:
      return deliver_sm_resp{read_optional_message_id(r)};
    case command_id::data_sm:
      return read_data_sm(r);
    case command_id::data_sm_resp: {
      data_sm_resp d;
      if (!r.at_end()) {
        d.message_id = r.cstring(message_id_size, "message_id");
        d.tlvs = r.tlvs();
      }
      return d;
    }
    case command_id::query_sm:
      return read_query_sm(r);
    case command_id::query_sm_resp:
      return read_query_sm_resp(r);
    case command_id::generic_nack:
    case command_id::unbind:
    case command_id::unbind_resp:
    case command_id::enquire_link:
    case command_id::enquire_link_resp:
      return std::monostate{};  // a stray body on a header-only PDU is ignored, as peers do
  }
  return raw_body{{bytes.begin(), bytes.end()}};
}

void write_body(body_writer& w, const pdu_body& body) {
  std::visit(
      [&w](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, bind_body>) {
          write_bind(w, b);
        } else if constexpr (std::is_same_v<T, bind_resp>) {
          w.cstring(b.system_id, system_id_size, "system_id");
          w.tlvs(b.tlvs);
        } else if constexpr (std::is_same_v<T, submit_sm> || std::is_same_v<T, deliver_sm>) {
          write_short_message(w, b);
        } else if constexpr (std::is_same_v<T, submit_sm_resp> ||
                             std::is_same_v<T, deliver_sm_resp>) {
          w.cstring(b.message_id, message_id_size, "message_id");
        } else if constexpr (std::is_same_v<T, data_sm>) {
          write_data_sm(w, b);
        } else if constexpr (std::is_same_v<T, data_sm_resp>) {
          w.cstring(b.message_id, message_id_size, "message_id");
          w.tlvs(b.tlvs);
        } else if constexpr (std::is_same_v<T, query_sm>) {
          w.cstring(b.message_id, message_id_size, "message_id");
          w.u8(b.source_addr_ton);
          w.u8(b.source_addr_npi);
          w.cstring(b.source_addr, address_size, "source_addr");
        } else if constexpr (std::is_same_v<T, query_sm_resp>) {
          w.cstring(b.message_id, message_id_size, "message_id");
          w.cstring(b.final_date, time_size, "final_date");
          w.u8(b.message_state);
          w.u8(b.error_code);
        } else if constexpr (std::is_same_v<T, raw_body>) {
          w.bytes().insert(w.bytes().end(), b.bytes.begin(), b.bytes.end());
        }
      },
      body);
}

}  // namespace

std::string_view to_string(command_id id) {
  switch (id) {
    case command_id::generic_nack:
      return "generic_nack";
    case command_id::query_sm:
      return "query_sm";
    case command_id::query_sm_resp:
      return "query_sm_resp";
    case command_id::data_sm:
      return "data_sm";
    case command_id::data_sm_resp:
      return "data_sm_resp";
    case command_id::bind_receiver:
      return "bind_receiver";
    case command_id::bind_receiver_resp:
      return "bind_receiver_resp";
    case command_id::bind_transmitter:
      return "bind_transmitter";
    case command_id::bind_transmitter_resp:
      return "bind_transmitter_resp";
    case command_id::submit_sm:
      return "submit_sm";
    case command_id::submit_sm_resp:
      return "submit_sm_resp";
    case command_id::deliver_sm:
      return "deliver_sm";
    case command_id::deliver_sm_resp:
      return "deliver_sm_resp";
    case command_id::unbind:
      return "unbind";
    case command_id::unbind_resp:
      return "unbind_resp";
    case command_id::bind_transceiver:
      return "bind_transceiver";
    case command_id::bind_transceiver_resp:
      return "bind_transceiver_resp";
    case command_id::enquire_link:
      return "enquire_link";
    case command_id::enquire_link_resp:
      return "enquire_link_resp";
  }
  return "unknown";
}

command_id response_to(command_id request) {
  return static_cast<command_id>(static_cast<std::uint32_t>(request) | 0x80000000U);
}

result<std::vector<std::uint8_t>, std::string> encode(const pdu& message) {
  const auto expected = body_index_for(message.command);
  const auto actual = message.body.index();
  const bool empty_response =
      is_response(message.command) && std::holds_alternative<std::monostate>(message.body);
  if (actual != expected && actual != index_of<raw_body>() && !empty_response) {
    return fail(std::string("the body does not belong to ") +
                std::string(to_string(message.command)));
  }
  body_writer w;
  w.u32(0);  // command_length, patched below
  w.u32(static_cast<std::uint32_t>(message.command));
  w.u32(message.status);
  w.u32(message.sequence);
  write_body(w, message.body);
  if (!w.error().empty()) return fail(std::string(to_string(message.command)) + ": " + w.error());
  auto& bytes = w.bytes();
  if (bytes.size() > max_pdu_length) return fail(std::string("the PDU is longer than 64 KiB"));
  const auto length = static_cast<std::uint32_t>(bytes.size());
  for (int i = 0; i < 4; ++i)
    bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
  return std::move(bytes);
}

parse_result parse(std::span<const std::uint8_t> buffer, std::size_t max_length) {
  parse_result out;
  if (buffer.size() < 4) return out;
  const std::uint32_t length = read_u32(buffer);
  if (length < header_length || length > max_length) {
    out.status = parse_status::bad_frame;
    out.error_status = status::invalid_cmd_length;
    out.error = "command_length " + std::to_string(length) + " is outside 16.." +
                std::to_string(max_length);
    return out;
  }
  if (buffer.size() < length) return out;

  out.consumed = length;
  out.message.command = static_cast<command_id>(read_u32(buffer.subspan(4)));
  out.message.status = read_u32(buffer.subspan(8));
  out.message.sequence = read_u32(buffer.subspan(12));
  const auto body = buffer.subspan(header_length, length - header_length);
  body_reader r(body);
  auto decoded = read_body(out.message.command, r, body);
  if (r.failed()) {
    out.status = parse_status::bad_body;
    out.error_status = r.error_status();
    out.error = std::string(to_string(out.message.command)) + ": " + r.error();
    return out;
  }
  out.status = parse_status::ok;
  out.message.body = std::move(decoded);
  return out;
}

// --- optional parameters -------------------------------------------------------------------

const tlv* find_tlv(const tlv_list& tlvs, std::uint16_t t) {
  const auto it = std::find_if(tlvs.begin(), tlvs.end(), [t](const tlv& x) { return x.tag == t; });
  return it == tlvs.end() ? nullptr : &*it;
}

void set_tlv(tlv_list& tlvs, std::uint16_t t, std::vector<std::uint8_t> value) {
  std::erase_if(tlvs, [t](const tlv& x) { return x.tag == t; });
  tlvs.push_back({t, std::move(value)});
}

namespace {
std::optional<std::uint8_t> one_octet(const tlv_list& tlvs, std::uint16_t t) {
  const auto* p = find_tlv(tlvs, t);
  if (p == nullptr || p->value.size() != 1) return std::nullopt;
  return p->value[0];
}
}  // namespace

std::optional<std::uint16_t> sar_msg_ref_num(const tlv_list& tlvs) {
  const auto* p = find_tlv(tlvs, tag::sar_msg_ref_num);
  if (p == nullptr || p->value.size() != 2) return std::nullopt;
  return static_cast<std::uint16_t>((p->value[0] << 8) | p->value[1]);
}
std::optional<std::uint8_t> sar_total_segments(const tlv_list& tlvs) {
  return one_octet(tlvs, tag::sar_total_segments);
}
std::optional<std::uint8_t> sar_segment_seqnum(const tlv_list& tlvs) {
  return one_octet(tlvs, tag::sar_segment_seqnum);
}
void set_sar(tlv_list& tlvs, std::uint16_t ref_num, std::uint8_t total, std::uint8_t seqnum) {
  set_tlv(tlvs, tag::sar_msg_ref_num,
          {static_cast<std::uint8_t>(ref_num >> 8), static_cast<std::uint8_t>(ref_num)});
  set_tlv(tlvs, tag::sar_total_segments, {total});
  set_tlv(tlvs, tag::sar_segment_seqnum, {seqnum});
}

std::optional<std::vector<std::uint8_t>> message_payload(const tlv_list& tlvs) {
  const auto* p = find_tlv(tlvs, tag::message_payload);
  if (p == nullptr) return std::nullopt;
  return p->value;
}
void set_message_payload(tlv_list& tlvs, std::span<const std::uint8_t> payload) {
  set_tlv(tlvs, tag::message_payload, {payload.begin(), payload.end()});
}

std::optional<std::string> receipted_message_id(const tlv_list& tlvs) {
  const auto* p = find_tlv(tlvs, tag::receipted_message_id);
  if (p == nullptr || p->value.empty() || p->value.back() != 0 ||
      p->value.size() > message_id_size) {
    return std::nullopt;
  }
  return ascii_only(std::string(p->value.begin(), p->value.end() - 1));
}

std::string ascii_only(std::string value) {
  for (auto& c : value) {
    const auto octet = static_cast<unsigned char>(c);
    if (octet == 0 || octet >= 0x80) c = '?';
  }
  return value;
}
void set_receipted_message_id(tlv_list& tlvs, std::string_view id) {
  std::vector<std::uint8_t> value(id.begin(), id.end());
  value.push_back(0);
  set_tlv(tlvs, tag::receipted_message_id, std::move(value));
}

std::optional<message_state> get_message_state(const tlv_list& tlvs) {
  const auto v = one_octet(tlvs, tag::message_state);
  if (!v) return std::nullopt;
  return static_cast<message_state>(*v);
}
void set_message_state(tlv_list& tlvs, message_state state) {
  set_tlv(tlvs, tag::message_state, {static_cast<std::uint8_t>(state)});
}

}  // namespace mail2sms::smpp
