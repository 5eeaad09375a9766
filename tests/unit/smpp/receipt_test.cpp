// Delivery receipts from TLVs and from text, message id normalisation, replies.
#include "core/connectors/smpp/receipt.hpp"

#include <gtest/gtest.h>

#include "core/connectors/smpp/addressing.hpp"

namespace mail2sms::smpp {
namespace {

deliver_sm text_receipt(std::string_view text) {
  deliver_sm d;
  d.esm_class = esm_class_delivery_receipt;
  d.short_message.assign(text.begin(), text.end());
  return d;
}

TEST(receipt, text_form_gives_id_state_and_error) {
  const auto r = receipt_of(
      text_receipt("id:1234567890 sub:001 dlvrd:001 submit date:2611281200 done date:2611281201 "
                   "stat:UNDELIV err:034 text:Hello there"),
      id_format::as_is, id_format::as_is);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "1234567890");
  EXPECT_EQ(r->state, "UNDELIV");
  EXPECT_EQ(r->error_code, "034");
}

TEST(receipt, text_fields_with_bytes_outside_ascii_read_them_as_question_marks) {
  const auto r = receipt_of(text_receipt(std::string("id:12\xFF\x00"
                                                     "4 stat:UNDELIV err:0\xE9",
                                                     28)),
                            id_format::as_is, id_format::as_is);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "12??4");
  EXPECT_EQ(r->state, "UNDELIV");
  EXPECT_EQ(r->error_code, "0?");
}

TEST(receipt, text_keys_are_case_insensitive_and_need_a_word_start) {
  const auto f = parse_receipt_text("ID:ab12 SUB:001 Stat:delivrd Err:000 text:my id:zz stat:x");
  EXPECT_EQ(f.id, "ab12");
  EXPECT_EQ(f.stat, "delivrd");
  EXPECT_EQ(f.err, "000");
  const auto r = receipt_of(text_receipt("ID:ab12 Stat:delivered err:0"), id_format::as_is,
                            id_format::as_is);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "DELIVRD");  // long and lower-case forms normalised
}

TEST(receipt, tlvs_win_over_the_text) {
  auto d = text_receipt("id:999 stat:DELIVRD err:000");
  set_receipted_message_id(d.tlvs, "0000002A");
  set_message_state(d.tlvs, message_state::expired);
  set_tlv(d.tlvs, tag::network_error_code, {3, 0x01, 0x02});
  const auto r = receipt_of(d, id_format::hex, id_format::decimal);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "42");
  EXPECT_EQ(r->state, "EXPIRED");
  EXPECT_EQ(r->error_code, "258");
}

TEST(receipt, a_receipt_with_only_tlvs_and_no_receipt_esm_class_is_still_one) {
  deliver_sm d;
  set_receipted_message_id(d.tlvs, "abc");
  set_message_state(d.tlvs, message_state::delivered);
  const auto r = receipt_of(d, id_format::as_is, id_format::as_is);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "abc");
  EXPECT_EQ(r->state, "DELIVRD");
}

TEST(receipt, hex_and_decimal_ids_normalise_to_the_same_text) {
  // An SMSC that answers submit_sm_resp in hex and writes receipts in decimal.
  EXPECT_EQ(normalise_message_id("0000002a", id_format::hex), "42");
  EXPECT_EQ(normalise_message_id("0042", id_format::decimal), "42");
  EXPECT_EQ(normalise_message_id(" 7F ", id_format::hex), "127");
  EXPECT_EQ(normalise_message_id("0042", id_format::as_is), "0042");
  // Not a number in that base: kept (lower-cased) rather than guessed at.
  EXPECT_EQ(normalise_message_id("A1-B2", id_format::decimal), "a1-b2");
  EXPECT_EQ(normalise_message_id("ffffffffffffffffff", id_format::hex), "ffffffffffffffffff");
  const auto r = receipt_of(text_receipt("id:00000042 stat:DELIVRD"), id_format::hex,
                            id_format::decimal);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->message_id, "42");
}

TEST(receipt, a_reply_is_not_a_receipt) {
  deliver_sm d;
  d.source_addr = "27821234567";
  const std::string text = "id:1 stat:DELIVRD looks like a receipt but esm class says reply";
  d.short_message.assign(text.begin(), text.end());
  std::string bad;
  EXPECT_FALSE(receipt_of(d, id_format::as_is, id_format::as_is, &bad));
  EXPECT_TRUE(bad.empty());
  EXPECT_EQ(reply_of("smsc", d).text, text);
}

TEST(receipt, a_receipt_without_id_or_state_is_refused_with_a_reason) {
  std::string bad;
  EXPECT_FALSE(receipt_of(text_receipt("sub:001 stat:DELIVRD"), id_format::as_is,
                          id_format::as_is, &bad));
  EXPECT_NE(bad.find("message id"), std::string::npos);
  bad.clear();
  EXPECT_FALSE(receipt_of(text_receipt("id:5 err:000"), id_format::as_is, id_format::as_is, &bad));
  EXPECT_NE(bad.find("state"), std::string::npos);
}

TEST(receipt, a_reply_part_decodes_ucs2_drops_the_udh_and_says_which_part_it_is) {
  deliver_sm d;
  d.source_addr = "27821234567";
  d.destination_addr = "mail2sms";
  d.esm_class = esm_class_udhi;
  d.data_coding = data_coding_ucs2;
  d.short_message = {0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 0x00, 'O', 0x00, 'k', 0x20, 0xAC};
  const auto reply = reply_of("smsc1", d);
  EXPECT_EQ(reply.connector, "smsc1");
  EXPECT_EQ(reply.source, "27821234567");
  EXPECT_EQ(reply.destination, "mail2sms");
  EXPECT_EQ(reply.text, "Ok\xE2\x82\xAC");
  ASSERT_TRUE(reply.part);
  EXPECT_EQ(reply.part->reference, 1);
  EXPECT_EQ(reply.part->total, 2);
  EXPECT_EQ(reply.part->number, 1);
}

// A reply carries its connector's default source (what the store tells its account by, comparing
// it with the reply's destination: notifications_test).
TEST(receipt, a_reply_carries_the_connector_s_default_source) {
  deliver_sm d;
  d.source_addr = "27821234567";
  d.destination_addr = "27820000000";
  EXPECT_EQ(reply_of("smsc1", d, "+27820000000").default_source, "+27820000000");
  EXPECT_EQ(reply_of("smsc1", d, "").default_source, "");
}

TEST(receipt, a_reply_part_with_a_16_bit_reference) {
  deliver_sm d;
  d.esm_class = esm_class_udhi;
  d.short_message = {0x06, 0x08, 0x04, 0xBE, 0xEF, 0x03, 0x03, 'h', 'i'};
  const auto reply = reply_of("smsc1", d);
  EXPECT_EQ(reply.text, "hi");
  ASSERT_TRUE(reply.part);
  EXPECT_EQ(reply.part->reference, 0xBEEF);
  EXPECT_EQ(reply.part->total, 3);
  EXPECT_EQ(reply.part->number, 3);
}

TEST(receipt, a_reply_part_in_sar_tlvs) {
  deliver_sm d;
  d.short_message = {'y', 'e', 's'};
  d.tlvs.push_back({tag::sar_msg_ref_num, {0x01, 0x02}});
  d.tlvs.push_back({tag::sar_total_segments, {0x02}});
  d.tlvs.push_back({tag::sar_segment_seqnum, {0x02}});
  const auto reply = reply_of("smsc1", d);
  EXPECT_EQ(reply.text, "yes");
  ASSERT_TRUE(reply.part);
  EXPECT_EQ(reply.part->reference, 0x0102);
  EXPECT_EQ(reply.part->total, 2);
  EXPECT_EQ(reply.part->number, 2);
}

TEST(receipt, a_single_reply_and_nonsense_concatenation_are_no_part) {
  deliver_sm d;
  d.short_message = {'o', 'k'};
  EXPECT_FALSE(reply_of("smsc1", d).part);
  d.esm_class = esm_class_udhi;
  d.short_message = {0x05, 0x00, 0x03, 0x07, 0x02, 0x03, 'o', 'k'};  // part 3 of 2
  const auto reply = reply_of("smsc1", d);
  EXPECT_FALSE(reply.part);
  EXPECT_EQ(reply.text, "ok");
}

TEST(receipt, id_format_names) {
  EXPECT_EQ(id_format_from("hex"), id_format::hex);
  EXPECT_EQ(id_format_from("decimal"), id_format::decimal);
  EXPECT_EQ(id_format_from("as-is"), id_format::as_is);
  EXPECT_FALSE(id_format_from("octal"));
}

}  // namespace
}  // namespace mail2sms::smpp
