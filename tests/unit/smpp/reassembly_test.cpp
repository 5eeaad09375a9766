// What the simulator makes of submitted parts: UDH split, concatenation info (8-bit, 16-bit, SAR),
// decoded text (in the national shift tables a UDH names), whole messages from parts in any order,
// and the receipt text.
#include "core/connectors/smpp/reassembly.hpp"

#include <gtest/gtest.h>

#include "core/connectors/smpp/addressing.hpp"
#include "core/sms/sms.hpp"

namespace mail2sms::smpp {
namespace {

using bytes = std::vector<std::uint8_t>;

TEST(SmppReassembly, SplitsTheUdhOnlyWithUdhi) {
  submit_sm sm;
  sm.short_message = {0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 'H', 'i'};
  EXPECT_EQ(split_user_data(sm).payload, sm.short_message);  // no UDHI: all text
  sm.esm_class = 0x40;
  const auto split = split_user_data(sm);
  EXPECT_EQ(split.udh, (bytes{0x05, 0x00, 0x03, 0x01, 0x02, 0x01}));
  EXPECT_EQ(split.payload, (bytes{'H', 'i'}));
}

TEST(SmppReassembly, UdhLengthPastTheEndLeavesEverythingAsPayload) {
  submit_sm sm;
  sm.esm_class = 0x40;
  sm.short_message = {0x09, 0x00, 0x03};
  const auto split = split_user_data(sm);
  EXPECT_TRUE(split.udh.empty());
  EXPECT_EQ(split.payload, sm.short_message);
}

TEST(SmppReassembly, MessagePayloadIsUsedWhenShortMessageIsEmpty) {
  submit_sm sm;
  set_message_payload(sm.tlvs, bytes{'l', 'o', 'n', 'g'});
  EXPECT_EQ(split_user_data(sm).payload, (bytes{'l', 'o', 'n', 'g'}));
}

TEST(SmppReassembly, ConcatenationFromUdhOrSar) {
  const auto eight = concatenation_of(bytes{0x05, 0x00, 0x03, 0x2A, 0x03, 0x02}, {});
  ASSERT_TRUE(eight);
  EXPECT_EQ(eight->reference, 0x2A);
  EXPECT_EQ(eight->total, 3);
  EXPECT_EQ(eight->sequence, 2);

  // A 16-bit element after an unrelated one.
  const auto sixteen =
      concatenation_of(bytes{0x09, 0x24, 0x01, 0x00, 0x08, 0x04, 0x12, 0x34, 0x02, 0x02}, {});
  ASSERT_TRUE(sixteen);
  EXPECT_EQ(sixteen->reference, 0x1234);
  EXPECT_EQ(sixteen->sequence, 2);

  tlv_list sar;
  set_sar(sar, 0x0101, 2, 1);
  const auto from_sar = concatenation_of({}, sar);
  ASSERT_TRUE(from_sar);
  EXPECT_EQ(from_sar->reference, 0x0101);

  EXPECT_FALSE(concatenation_of(bytes{0x05, 0x00, 0x03, 0x2A, 0x02, 0x03}, {}));  // part 3 of 2
  EXPECT_FALSE(concatenation_of(bytes{0x05, 0x00, 0x03, 0x2A, 0x00, 0x00}, {}));
  EXPECT_FALSE(concatenation_of(bytes{0x05, 0x00, 0x09, 0x2A}, {}));  // element overruns
  EXPECT_FALSE(concatenation_of({}, {}));
}

TEST(SmppReassembly, DecodesByDataCoding) {
  EXPECT_EQ(decode_text(0, {}, bytes{'H', 'i', 0x00}), "Hi@");  // GSM 0x00 is '@'
  EXPECT_EQ(decode_text(8, {}, bytes{0x04, 0x1F, 0x00, 0x21}), "\xD0\x9F!");
  EXPECT_EQ(decode_text(3, {}, bytes{'c', 0xE9}), "c\xC3\xA9");
}

TEST(SmppReassembly, ANulCharacterBecomesTheReplacementCharacter) {
  // U+0000 in UCS-2 or Latin-1: no database text or mail body can hold it.
  EXPECT_EQ(decode_text(8, {}, bytes{0x00, 'P', 0x00, 0x00, 0x00, 0x00, 0x00, '!'}),
            "P\xEF\xBF\xBD\xEF\xBF\xBD!");
  EXPECT_EQ(decode_text(3, {}, bytes{0x00, 'x', 0x00}), "\xEF\xBF\xBDx\xEF\xBF\xBD");
}

TEST(SmppReassembly, GsmIsDecodedInTheNationalTablesTheUdhNames) {
  // Turkish single shift (IEI 0x24, language 1): escape + 0x73 is s-cedilla, not the default
  // extension table's nothing (shown as 's').
  const bytes single_shift{0x03, 0x24, 0x01, 0x01};
  EXPECT_EQ(decode_text(0, single_shift, bytes{0x1B, 0x73, 'i'}), "\xC5\x9Fi");
  EXPECT_EQ(decode_text(0, {}, bytes{0x1B, 0x73, 'i'}), "si");
  // Turkish locking shift (IEI 0x25) after a 16-bit concatenation element: 0x60 is c-cedilla
  // there, inverted question mark in the default alphabet.
  const bytes locking_shift{0x09, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01, 0x25, 0x01, 0x01};
  EXPECT_EQ(decode_text(0, locking_shift, bytes{0x60}), "\xC3\xA7");
  EXPECT_EQ(decode_text(0, {}, bytes{0x60}), "\xC2\xBF");
  // UCS-2 has no shift tables: the UDH does not change it.
  EXPECT_EQ(decode_text(8, single_shift, bytes{0x00, 0x73}), "s");
}

// What an ESME sends for an encoded message (UDH or SAR mode), read back the way the simulator
// reads each submit_sm, and put back together.
std::optional<completed_message> reassembled(const sms::encoded_message& m, bool sar,
                                             std::vector<bytes>* udhs = nullptr) {
  core::queued_message q;
  q.recipient = "+27821234567";
  q.coding = m.coding;
  q.segments = m.segments;
  const auto submits = to_submit_sms(q, {"ACME", 1, sar});
  if (!submits) return std::nullopt;
  reassembler r;
  std::optional<completed_message> whole;
  for (std::size_t i = submits->size(); i-- > 0;) {  // last part first: order must not matter
    const auto& sm = (*submits)[i];
    const auto split = split_user_data(sm);
    if (udhs) udhs->insert(udhs->begin(), split.udh);
    whole = r.add({sm.source_addr, sm.destination_addr, sm.data_coding,
                   concatenation_of(split.udh, sm.tlvs),
                   decode_text(sm.data_coding, split.udh, split.payload), std::to_string(i)});
  }
  return whole;
}

// Şişli'de buluşalım, sağ ol. İstanbul çok güzel.
const std::string turkish_text =
    "\xC5\x9E"
    "i\xC5\x9Fli'de bulu\xC5\x9F"
    "al\xC4\xB1m, sa\xC4\x9F ol. \xC4\xB0stanbul \xC3\xA7ok g\xC3\xBCzel. ";

sms::encoded_message encoded(const std::string& text, sms::national_language national, bool ref16) {
  sms::encode_options o;
  o.reference = 0xBEEF;
  o.reference_16bit = ref16;
  o.national = national;
  return sms::encode(text, o);
}

TEST(SmppReassembly, NationalAnd16BitPartsComeBackWhole) {
  std::string text;
  for (int i = 0; i < 6; ++i) text += turkish_text;
  const auto m = encoded(text, sms::national_language::turkish, true);
  ASSERT_EQ(m.coding, sms::encoding::gsm7);
  ASSERT_GE(m.segments.size(), 2u);
  std::vector<bytes> udhs;
  const auto whole = reassembled(m, false, &udhs);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->text, text);
  EXPECT_EQ(whole->message_ids.size(), m.segments.size());
  for (const auto& udh : udhs) {
    const auto hex = sms::to_hex(udh);
    EXPECT_NE(hex.find("0804beef"), std::string::npos) << hex;  // 16-bit reference, whole
    const bool national =
        hex.find("240101") != std::string::npos || hex.find("250101") != std::string::npos;
    EXPECT_TRUE(national) << hex;
  }
}

TEST(SmppReassembly, SarModeKeepsTheNationalElementsInAUdhAndTheWholeReference) {
  std::string text;
  for (int i = 0; i < 6; ++i) text += turkish_text;
  const auto m = encoded(text, sms::national_language::turkish, true);
  core::queued_message q;
  q.recipient = "+27821234567";
  q.coding = m.coding;
  q.segments = m.segments;
  const auto submits = to_submit_sms(q, {"ACME", 1, true});
  ASSERT_TRUE(submits);
  ASSERT_EQ(submits->size(), m.segments.size());
  for (const auto& sm : *submits) {
    EXPECT_EQ(sm.esm_class, esm_class_udhi);  // the shift tables still need a UDH
    EXPECT_EQ(sar_msg_ref_num(sm.tlvs), 0xBEEF);
    const auto split = split_user_data(sm);
    const auto hex = sms::to_hex(split.udh);
    EXPECT_EQ(hex.find("0804"), std::string::npos) << hex;  // no concatenation element left
    EXPECT_TRUE(hex == "03240101" || hex == "03250101" || hex == "06250101240101") << hex;
  }
  const auto whole = reassembled(m, true);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->text, text);
}

TEST(SmppReassembly, SixteenBitReferenceWithTheDefaultAlphabet) {
  const std::string text(400, 'x');
  const auto m = encoded(text, sms::national_language::none, true);
  ASSERT_EQ(m.segments.size(), 3u);
  std::vector<bytes> udhs;
  const auto whole = reassembled(m, false, &udhs);
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->text, text);
  EXPECT_EQ(sms::to_hex(udhs[0]), "060804beef0301");
  EXPECT_EQ(sms::to_hex(udhs[2]), "060804beef0303");
}

reassembler::part part_of(std::uint8_t seq, std::string text, std::string id,
                          std::string destination = "27821234567") {
  return {"ACME",          std::move(destination), 0, concatenation_info{7, 3, seq},
          std::move(text), std::move(id)};
}

TEST(SmppReassembly, SinglePartIsCompleteAtOnce) {
  reassembler r;
  const auto whole = r.add({"ACME", "2782", 8, std::nullopt, "hi", "1"});
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->text, "hi");
  EXPECT_EQ(whole->data_coding, 8);
  EXPECT_EQ(whole->message_ids, std::vector<std::string>{"1"});
}

TEST(SmppReassembly, PartsInAnyOrderMakeOneMessage) {
  reassembler r;
  EXPECT_FALSE(r.add(part_of(3, "C", "c")));
  EXPECT_FALSE(r.add(part_of(1, "A", "a")));
  EXPECT_FALSE(r.add(part_of(1, "X", "x", "27829999999")));  // same ref, other recipient
  const auto whole = r.add(part_of(2, "B", "b"));
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->text, "ABC");
  EXPECT_EQ(whole->message_ids, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(r.add(part_of(2, "B", "b")));  // the finished message does not linger
}

TEST(SmppReassembly, KeepsABoundedNumberOfIncompleteMessages) {
  reassembler r(2);
  EXPECT_FALSE(r.add(part_of(1, "A", "a", "1")));
  EXPECT_FALSE(r.add(part_of(1, "A", "a", "2")));
  EXPECT_FALSE(r.add(part_of(1, "A", "a", "3")));  // drops the one for "1"
  EXPECT_FALSE(r.add(part_of(2, "B", "b", "1")));
  EXPECT_FALSE(r.add(part_of(3, "C", "c", "1")));  // "1" restarted: part 1 is gone
  EXPECT_FALSE(r.add(part_of(2, "B", "b", "3")));
  EXPECT_TRUE(r.add(part_of(3, "C", "c", "3")));
}

TEST(SmppReassembly, ReceiptText) {
  EXPECT_EQ(delivery_receipt_text("0000002a", "2401021530", "2401021531"),
            "id:0000002a sub:001 dlvr:001 submit date:2401021530 done date:2401021531 "
            "stat:DELIVRD err:000 text:");
}

}  // namespace
}  // namespace mail2sms::smpp
