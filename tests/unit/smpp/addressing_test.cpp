// How a queued message becomes submit_sm PDUs: addressing (TON/NPI), data_coding, UDHI.
#include "core/connectors/smpp/addressing.hpp"

#include <gtest/gtest.h>

#include "core/sms/sms.hpp"

namespace mail2sms::smpp {
namespace {

TEST(SmppAddressing, AlphanumericSenderIsTon5Npi0) {
  const auto a = source_address("ACME Ltd", "");
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, (address{ton_alphanumeric, npi_unknown, "ACME Ltd"}));
}

TEST(SmppAddressing, NumericSenderIsInternationalWithoutPlus) {
  EXPECT_EQ(*source_address("+27821234567", ""),
            (address{ton_international, npi_isdn, "27821234567"}));
  EXPECT_EQ(*source_address("27821234567", ""),
            (address{ton_international, npi_isdn, "27821234567"}));
}

TEST(SmppAddressing, EmptySenderUsesTheDefaultSourceByTheSameRules) {
  EXPECT_EQ(*source_address("", "+4412345"), (address{ton_international, npi_isdn, "4412345"}));
  EXPECT_EQ(*source_address("", "Alerts"), (address{ton_alphanumeric, npi_unknown, "Alerts"}));
  EXPECT_EQ(*source_address("", ""), address{});  // the SMSC fills in its default
}

TEST(SmppAddressing, SendersThatCannotBeSentAreRefused) {
  EXPECT_FALSE(source_address("TwelveLetter", ""));        // > 11 alphanumeric
  EXPECT_FALSE(source_address(std::string(21, '1'), ""));  // > 20 digits
  EXPECT_TRUE(source_address("ElevenChars", ""));
}

TEST(SmppAddressing, DestinationIsInternationalIsdnWithoutPlus) {
  EXPECT_EQ(*destination_address("+27821234567"),
            (address{ton_international, npi_isdn, "27821234567"}));
  EXPECT_FALSE(destination_address(""));
  EXPECT_FALSE(destination_address("+"));
  EXPECT_FALSE(destination_address("+27 82"));
  EXPECT_FALSE(destination_address("oncall"));
}

core::queued_message message_with(sms::encoding coding, std::vector<sms::segment> segments) {
  core::queued_message m;
  m.queue_id = "q1";
  m.recipient = "+27821234567";
  m.sender_id = "ACME";
  m.coding = coding;
  m.segments = std::move(segments);
  return m;
}

TEST(SmppAddressing, SinglePartGsm) {
  const auto parts = to_submit_sms(message_with(sms::encoding::gsm7, {{{}, {'H', 'i'}}}), {});
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 1U);
  const auto& sm = parts->front();
  EXPECT_EQ(sm.source_addr_ton, 5);
  EXPECT_EQ(sm.source_addr, "ACME");
  EXPECT_EQ(sm.dest_addr_ton, 1);
  EXPECT_EQ(sm.dest_addr_npi, 1);
  EXPECT_EQ(sm.destination_addr, "27821234567");
  EXPECT_EQ(sm.data_coding, 0);
  EXPECT_EQ(sm.esm_class, 0);
  EXPECT_EQ(sm.registered_delivery, 1);
  EXPECT_EQ(sm.short_message, (std::vector<std::uint8_t>{'H', 'i'}));
}

TEST(SmppAddressing, ConcatenatedUcs2CarriesUdhFirstAndSetsUdhi) {
  const std::vector<std::uint8_t> udh1{0x05, 0x00, 0x03, 0x2A, 0x02, 0x01};
  const std::vector<std::uint8_t> udh2{0x05, 0x00, 0x03, 0x2A, 0x02, 0x02};
  const auto parts = to_submit_sms(
      message_with(sms::encoding::ucs2, {{udh1, {0x04, 0x1F}}, {udh2, {0x04, 0x40}}}), {"", 0});
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 2U);
  EXPECT_EQ((*parts)[0].data_coding, 8);
  EXPECT_EQ((*parts)[0].esm_class, 0x40);
  EXPECT_EQ((*parts)[0].registered_delivery, 0);
  EXPECT_EQ((*parts)[1].short_message,
            (std::vector<std::uint8_t>{0x05, 0x00, 0x03, 0x2A, 0x02, 0x02, 0x04, 0x40}));
}

TEST(SmppAddressing, UnsendableMessagesAreRefused) {
  auto bad_number = message_with(sms::encoding::gsm7, {{{}, {'x'}}});
  bad_number.recipient = "oncall";
  EXPECT_FALSE(to_submit_sms(bad_number, {}));
  EXPECT_FALSE(to_submit_sms(message_with(sms::encoding::gsm7, {}), {}));
  EXPECT_FALSE(to_submit_sms(
      message_with(sms::encoding::gsm7, {{{}, std::vector<std::uint8_t>(255, 'x')}}), {}));
}

TEST(SmppAddressing, MaskKeepsEnoughToTellNumbersApart) {
  EXPECT_EQ(mask_number("+27821234567"), "+2782*****67");
  EXPECT_EQ(mask_number("27821234567"), "2782*****67");
  EXPECT_EQ(mask_number("12345"), "1****");
  EXPECT_EQ(mask_number(""), "");
}

TEST(SmppAddressing, SarModeMovesTheConcatenationIntoTlvs) {
  core::queued_message m;
  m.recipient = "+27821234567";
  const auto encoded = sms::encode(std::string(200, 'a'), {.reference = 0x42});
  m.coding = encoded.coding;
  m.segments = encoded.segments;
  const auto udh = to_submit_sms(m, {"Alerts", 1, false});
  const auto sar = to_submit_sms(m, {"Alerts", 1, true});
  ASSERT_TRUE(udh && sar);
  ASSERT_EQ(sar->size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*udh)[i].esm_class, esm_class_udhi);
    EXPECT_EQ((*sar)[i].esm_class, 0);
    EXPECT_EQ((*sar)[i].short_message, m.segments[i].payload);  // the text without the UDH
    EXPECT_EQ(sar_msg_ref_num((*sar)[i].tlvs), 0x42);
    EXPECT_EQ(sar_total_segments((*sar)[i].tlvs), 2);
    EXPECT_EQ(sar_segment_seqnum((*sar)[i].tlvs), i + 1);
  }
  // A single part has no concatenation to move.
  m.segments.resize(1);
  m.segments[0].udh.clear();
  const auto single = to_submit_sms(m, {"Alerts", 1, true});
  ASSERT_TRUE(single);
  EXPECT_TRUE((*single)[0].tlvs.empty());
}

}  // namespace
}  // namespace mail2sms::smpp
