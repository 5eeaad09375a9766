// What the simulator makes of submitted parts: UDH split, concatenation info (8-bit, 16-bit, SAR),
// decoded text, whole messages from parts in any order, and the receipt text.
#include "core/connectors/smpp/reassembly.hpp"

#include <gtest/gtest.h>

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
  EXPECT_EQ(decode_text(0, bytes{'H', 'i', 0x00}), "Hi@");  // GSM 0x00 is '@'
  EXPECT_EQ(decode_text(8, bytes{0x04, 0x1F, 0x00, 0x21}), "\xD0\x9F!");
  EXPECT_EQ(decode_text(3, bytes{'c', 0xE9}), "c\xC3\xA9");
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
