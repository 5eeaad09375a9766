// The SMPP codec: every modelled PDU survives encode -> parse, known byte layouts from the SMPP 3.4
// field tables come out byte for byte, and encode refuses what SMPP cannot carry.
#include "core/connectors/smpp/pdu.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/connectors/smpp/command_status.hpp"

namespace mail2sms::smpp {
namespace {

using bytes = std::vector<std::uint8_t>;

bytes encoded(const pdu& p) {
  auto r = encode(p);
  EXPECT_TRUE(r.has_value()) << (r.has_value() ? "" : r.error());
  return r.has_value() ? *r : bytes{};
}

pdu round_trip(const pdu& p) {
  const auto wire = encoded(p);
  const auto parsed = parse(wire);
  EXPECT_EQ(parsed.status, parse_status::ok) << parsed.error;
  EXPECT_EQ(parsed.consumed, wire.size());
  return parsed.message;
}

submit_sm sample_submit() {
  submit_sm sm;
  sm.service_type = "CMT";
  sm.source_addr_ton = 5;
  sm.source_addr = "ACME";
  sm.dest_addr_ton = 1;
  sm.dest_addr_npi = 1;
  sm.destination_addr = "27821234567";
  sm.esm_class = 0x40;
  sm.registered_delivery = 1;
  sm.data_coding = 8;
  sm.validity_period = "000001000000000R";
  sm.short_message = {0x05, 0x00, 0x03, 0x2A, 0x02, 0x01, 0x00, 0x48, 0x00, 0x69};
  set_sar(sm.tlvs, 0x1234, 2, 1);
  sm.tlvs.push_back({0x1401, {0xDE, 0xAD}});  // a vendor TLV survives as it came
  return sm;
}

TEST(SmppPdu, BindRequestsRoundTrip) {
  for (const auto id :
       {command_id::bind_transceiver, command_id::bind_transmitter, command_id::bind_receiver}) {
    bind_body b{"mail2sms", "secret", "SMS", 0x34, 1, 1, "^27"};
    const pdu p{id, 0, 7, b};
    EXPECT_EQ(round_trip(p), p) << to_string(id);
  }
}

TEST(SmppPdu, BindResponsesRoundTrip) {
  for (const auto id : {command_id::bind_transceiver_resp, command_id::bind_transmitter_resp,
                        command_id::bind_receiver_resp}) {
    bind_resp r{"SMSC", {}};
    set_tlv(r.tlvs, tag::sc_interface_version, {0x34});
    const pdu p{id, 0, 7, r};
    EXPECT_EQ(round_trip(p), p) << to_string(id);
  }
}

TEST(SmppPdu, RefusedBindResponseWithoutBodyDecodesAsEmpty) {
  const pdu refused{command_id::bind_transceiver_resp, status::bind_failed, 3, std::monostate{}};
  const auto wire = encoded(refused);
  EXPECT_EQ(wire.size(), header_length);
  const auto back = round_trip(refused);
  EXPECT_EQ(back.status, status::bind_failed);
  EXPECT_EQ(std::get<bind_resp>(back.body).system_id, "");
}

TEST(SmppPdu, HeaderOnlyPdusRoundTrip) {
  for (const auto id : {command_id::unbind, command_id::unbind_resp, command_id::enquire_link,
                        command_id::enquire_link_resp, command_id::generic_nack}) {
    const pdu p{id, id == command_id::generic_nack ? status::invalid_command_id : 0, 0x7FFFFFFF,
                std::monostate{}};
    EXPECT_EQ(encoded(p).size(), header_length);
    EXPECT_EQ(round_trip(p), p) << to_string(id);
  }
}

TEST(SmppPdu, SubmitSmRoundTripsWithTlvs) {
  const pdu p{command_id::submit_sm, 0, 42, sample_submit()};
  const auto back = round_trip(p);
  EXPECT_EQ(back, p);
  const auto& sm = std::get<submit_sm>(back.body);
  EXPECT_EQ(sar_msg_ref_num(sm.tlvs), 0x1234);
  EXPECT_EQ(sar_total_segments(sm.tlvs), 2);
  EXPECT_EQ(sar_segment_seqnum(sm.tlvs), 1);
}

TEST(SmppPdu, SubmitSmRespRoundTrips) {
  const pdu ok{command_id::submit_sm_resp, 0, 42, submit_sm_resp{"0a1b2c3d"}};
  EXPECT_EQ(round_trip(ok), ok);
  const pdu refused{command_id::submit_sm_resp, status::invalid_destination, 43, std::monostate{}};
  const auto back = round_trip(refused);
  EXPECT_EQ(back.status, status::invalid_destination);
  EXPECT_EQ(std::get<submit_sm_resp>(back.body).message_id, "");
}

// An SMSC's address or message id with a byte outside ASCII is read with '?' in its place: the
// value then stores as text (a non-UTF-8 byte failed the whole batch of replies it came in).
TEST(SmppPdu, BytesOutsideAsciiInACOctetStringAreReadAsQuestionMarks) {
  deliver_sm d;
  d.source_addr =
      "2782\xE9"
      "4567";
  d.destination_addr = "ACME\xFF";
  set_receipted_message_id(d.tlvs, std::string("ab\xC3\x28", 4) + std::string(1, '\0') + "z");
  const auto back = round_trip(pdu{command_id::deliver_sm, 0, 9, d});
  const auto& body = std::get<deliver_sm>(back.body);
  EXPECT_EQ(body.source_addr, "2782?4567");
  EXPECT_EQ(body.destination_addr, "ACME?");
  EXPECT_EQ(receipted_message_id(body.tlvs), "ab?(?z");
}

TEST(SmppPdu, DeliverSmAndRespRoundTrip) {
  deliver_sm d;
  d.source_addr = "27821234567";
  d.destination_addr = "ACME";
  d.esm_class = 0x04;
  const std::string text = "id:1 sub:001 dlvr:001 stat:DELIVRD";
  d.short_message.assign(text.begin(), text.end());
  set_receipted_message_id(d.tlvs, "0000002a");
  set_message_state(d.tlvs, message_state::delivered);
  const pdu p{command_id::deliver_sm, 0, 9, d};
  const auto back = round_trip(p);
  EXPECT_EQ(back, p);
  const auto& body = std::get<deliver_sm>(back.body);
  EXPECT_EQ(receipted_message_id(body.tlvs), "0000002a");
  EXPECT_EQ(get_message_state(body.tlvs), message_state::delivered);

  const pdu resp{command_id::deliver_sm_resp, 0, 9, deliver_sm_resp{}};
  EXPECT_EQ(encoded(resp).size(), header_length + 1);  // message_id: a lone NUL
  EXPECT_EQ(round_trip(resp), resp);
}

TEST(SmppPdu, DataSmQuerySmAndTheirResponsesRoundTrip) {
  data_sm d;
  d.source_addr_ton = 1;
  d.source_addr = "27821234567";
  d.destination_addr = "Alerts";
  d.esm_class = 0x04;
  d.data_coding = 8;
  set_message_payload(d.tlvs, bytes(300, 'x'));  // longer than a short_message may be
  set_receipted_message_id(d.tlvs, "abc");
  const pdu data{command_id::data_sm, 0, 11, d};
  EXPECT_EQ(round_trip(data), data);
  const pdu data_resp{command_id::data_sm_resp, 0, 11, data_sm_resp{"m-1", {}}};
  EXPECT_EQ(round_trip(data_resp), data_resp);
  const pdu query{command_id::query_sm, 0, 12, query_sm{"m-1", 5, 0, "Alerts"}};
  EXPECT_EQ(round_trip(query), query);
  const pdu query_resp{command_id::query_sm_resp, 0, 12,
                       query_sm_resp{"m-1", "261128120000000+", 2, 0}};
  EXPECT_EQ(round_trip(query_resp), query_resp);
  EXPECT_EQ(to_string(command_id::data_sm), "data_sm");
  EXPECT_EQ(to_string(command_id::query_sm_resp), "query_sm_resp");
  // A refusal without its body decodes to an empty one.
  const bytes refused{0, 0, 0, 16, 0x80, 0, 0, 3, 0, 0, 0, 0x67, 0, 0, 0, 12};
  const auto r = parse(refused);
  ASSERT_EQ(r.status, parse_status::ok);
  EXPECT_EQ(std::get<query_sm_resp>(r.message.body), query_sm_resp{});
  // A truncated data_sm is a bad body (generic_nack), not a crash.
  auto cut = encoded(data);
  cut.resize(header_length + 10);
  cut[0] = cut[1] = cut[2] = 0;
  cut[3] = static_cast<std::uint8_t>(cut.size());
  EXPECT_EQ(parse(cut).status, parse_status::bad_body);
}

TEST(SmppPdu, UnknownCommandKeepsItsBody) {
  const pdu query{static_cast<command_id>(0x00000008), 0, 5, raw_body{{'a', 0, 1, 1, 'b', 0}}};
  const auto back = round_trip(query);
  EXPECT_EQ(back, query);
  EXPECT_EQ(to_string(back.command), "unknown");
}

TEST(SmppPdu, MessagePayloadHelper) {
  tlv_list tlvs;
  const bytes long_text(300, 'x');
  set_message_payload(tlvs, long_text);
  EXPECT_EQ(message_payload(tlvs), long_text);
  set_message_payload(tlvs, bytes{1});  // replaces, not appends
  EXPECT_EQ(tlvs.size(), 1U);
  EXPECT_EQ(message_payload(tlvs), bytes{1});
}

TEST(SmppPdu, TlvGettersRejectWrongLengths) {
  tlv_list tlvs{{tag::sar_msg_ref_num, {1}},
                {tag::message_state, {1, 2}},
                {tag::receipted_message_id, {'a', 'b'}}};  // no NUL
  EXPECT_FALSE(sar_msg_ref_num(tlvs));
  EXPECT_FALSE(get_message_state(tlvs));
  EXPECT_FALSE(receipted_message_id(tlvs));
  EXPECT_FALSE(sar_total_segments(tlvs));
}

// SMPP 3.4 section 4.11.1: enquire_link is a bare header. sequence_number 1.
TEST(SmppPduFixture, EnquireLinkBytes) {
  const bytes expected{0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x15,
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
  EXPECT_EQ(encoded({command_id::enquire_link, 0, 1, std::monostate{}}), expected);
  const auto parsed = parse(expected);
  ASSERT_EQ(parsed.status, parse_status::ok);
  EXPECT_EQ(parsed.message.command, command_id::enquire_link);
  EXPECT_EQ(parsed.message.sequence, 1U);
}

// SMPP 3.4 section 4.1.5: bind_transceiver = system_id, password, system_type (C-octet strings),
// interface_version, addr_ton, addr_npi, address_range.
TEST(SmppPduFixture, BindTransceiverBytes) {
  const bytes expected{
      0x00, 0x00, 0x00, 0x2F,                                   // command_length 47
      0x00, 0x00, 0x00, 0x09,                                   // bind_transceiver
      0x00, 0x00, 0x00, 0x00,                                   // command_status
      0x00, 0x00, 0x00, 0x01,                                   // sequence_number
      'S',  'M',  'P',  'P',  '3', 'T', 'E', 'S',  'T',  0x00,  // system_id
      's',  'e',  'c',  'r',  'e', 't', '0', '8',  0x00,        // password
      'S',  'U',  'B',  'M',  'I', 'T', '1', 0x00,              // system_type
      0x34,                                                     // interface_version 3.4
      0x01, 0x01,                                               // addr_ton, addr_npi
      0x00,                                                     // address_range ""
  };
  const pdu p{command_id::bind_transceiver, 0, 1,
              bind_body{"SMPP3TEST", "secret08", "SUBMIT1", 0x34, 1, 1, ""}};
  EXPECT_EQ(encoded(p), expected);
  const auto parsed = parse(expected);
  ASSERT_EQ(parsed.status, parse_status::ok);
  EXPECT_EQ(parsed.message, p);
}

// SMPP 3.4 section 4.4.1: submit_sm with a GSM text "Hi" to an international number.
TEST(SmppPduFixture, SubmitSmBytes) {
  submit_sm sm;
  sm.source_addr_ton = 5;
  sm.source_addr = "ACME";
  sm.dest_addr_ton = 1;
  sm.dest_addr_npi = 1;
  sm.destination_addr = "2782";
  sm.registered_delivery = 1;
  sm.short_message = {'H', 'i'};
  const bytes expected{
      0x00, 0x00, 0x00, 0x2B, 0x00, 0x00, 0x00, 0x04,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
      0x00,                                      // service_type ""
      0x05, 0x00, 'A',  'C',  'M',  'E',  0x00,  // source ton, npi, addr
      0x01, 0x01, '2',  '7',  '8',  '2',  0x00,  // dest ton, npi, addr
      0x00, 0x00, 0x00,                          // esm_class, protocol_id, priority_flag
      0x00, 0x00,                                // schedule_delivery_time, validity_period
      0x01, 0x00, 0x00, 0x00,  // registered_delivery, replace, data_coding, default msg
      0x02, 'H',  'i',         // sm_length, short_message
  };
  EXPECT_EQ(encoded({command_id::submit_sm, 0, 2, sm}), expected);
}

TEST(SmppPduEncode, RefusesFieldsAboveTheirMaximum) {
  EXPECT_FALSE(encode({command_id::bind_transceiver, 0, 1,
                       bind_body{"sixteen-chars-xx", "pw", "", 0x34, 0, 0, ""}}));
  EXPECT_FALSE(encode(
      {command_id::bind_transceiver, 0, 1, bind_body{"id", "ninechars", "", 0x34, 0, 0, ""}}));
  submit_sm sm;
  sm.destination_addr = std::string(21, '1');
  EXPECT_FALSE(encode({command_id::submit_sm, 0, 1, sm}));
  sm.destination_addr = "1";
  sm.short_message.assign(255, 'x');
  EXPECT_FALSE(encode({command_id::submit_sm, 0, 1, sm}));
  sm.short_message.assign(254, 'x');
  EXPECT_TRUE(encode({command_id::submit_sm, 0, 1, sm}));
}

TEST(SmppPduEncode, RefusesABodyThatDoesNotBelongToTheCommand) {
  EXPECT_FALSE(encode({command_id::submit_sm, 0, 1, bind_body{}}));
  EXPECT_FALSE(encode({command_id::enquire_link, 0, 1, submit_sm{}}));
  EXPECT_FALSE(encode({command_id::submit_sm, 0, 1, std::monostate{}}));  // a request needs it
}

TEST(SmppCommandStatus, NamesAndRetryClasses) {
  EXPECT_EQ(status::name(0x58), "ESME_RTHROTTLED");
  EXPECT_EQ(status::describe(0x0B), "ESME_RINVDSTADR (0x0000000B)");
  EXPECT_EQ(status::describe(0x401), "status 0x00000401");
  EXPECT_TRUE(status::is_transient(status::throttled));
  EXPECT_TRUE(status::is_transient(status::queue_full));
  EXPECT_TRUE(status::is_transient(status::system_error));
  EXPECT_TRUE(status::is_transient(0x401));  // vendor code: cannot judge, so retry
  EXPECT_FALSE(status::is_transient(status::invalid_destination));
  EXPECT_FALSE(status::is_transient(status::invalid_source));
  EXPECT_FALSE(status::is_transient(status::bind_failed));
}

}  // namespace
}  // namespace mail2sms::smpp
