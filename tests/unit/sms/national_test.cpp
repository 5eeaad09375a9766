// National language shift tables (3GPP TS 23.038 annex A): Turkish, Spanish and Portuguese text
// stays GSM with the right UDH elements, every part (UDH included) fits 140 octets, and every
// table entry round-trips.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/sms/national.hpp"
#include "core/sms/sms.hpp"
#include "core/sms/utf8.hpp"
#include "sms_test_support.hpp"

namespace mail2sms::sms {
namespace {

using test_support::repeat;

std::string decode_all_parts(const encoded_message& m) {
  std::string out;
  for (std::size_t i = 0; i < m.segments.size(); ++i) out += decode_part(m, i);
  return out;
}

encoded_message encode_in(national_language l, const std::string& text, bool ref16 = false) {
  encode_options options;
  options.national = l;
  options.reference_16bit = ref16;
  options.smart_gsm = false;
  return encode(text, options);
}

void expect_fits(const encoded_message& m) {
  for (const auto& s : m.segments) EXPECT_LE(test_support::user_data_octets(m.coding, s), 140u);
}

TEST(national, turkish_text_stays_gsm_with_the_single_shift_table) {
  const std::string text =
      "\xC5\x9E"
      "i\xC5\x9Fli'de bulu\xC5\x9F"
      "al\xC4\xB1m, sa\xC4\x9F ol";  // Şişli'de buluşalım, sağ ol
  EXPECT_EQ(encode(text).coding, encoding::ucs2);
  const auto m = encode_in(national_language::turkish, text);
  ASSERT_EQ(m.coding, encoding::gsm7);
  EXPECT_EQ(m.single_shift, national_language::turkish);
  EXPECT_EQ(m.locking_shift, national_language::none);
  ASSERT_EQ(m.segments.size(), 1u);
  EXPECT_EQ(to_hex(m.segments[0].udh), "03240101");
  EXPECT_EQ(decode_all_parts(m), text);
  expect_fits(m);
}

TEST(national, turkish_locking_shift_when_it_saves_parts) {
  // Many ş/ğ/ı: escape pairs in the single shift table, one septet in the locking shift table.
  const std::string text = repeat("\xC4\xB1\xC5\x9F\xC4\x9F", 60);
  const auto m = encode_in(national_language::turkish, text);
  ASSERT_EQ(m.coding, encoding::gsm7);
  EXPECT_EQ(m.locking_shift, national_language::turkish);
  EXPECT_EQ(m.units, 180u);
  ASSERT_EQ(m.segments.size(), 2u);
  // 08: UDHL; 00 03 REF TOTAL SEQ; 25 01 01: locking shift, Turkish
  EXPECT_EQ(to_hex(m.segments[0].udh), "080003000201250101");
  EXPECT_EQ(decode_all_parts(m), text);
  expect_fits(m);
}

TEST(national, spanish_has_only_a_single_shift_table) {
  const std::string text =
      "\xC2\xBF"
      "D\xC3\xB3nde est\xC3\xA1 la estaci\xC3\xB3n? \xC3\x81lvaro, \xC3\xBA"
      "ltimo d\xC3\xAD"
      "a";
  const auto m = encode_in(national_language::spanish, text);
  ASSERT_EQ(m.coding, encoding::gsm7);
  EXPECT_EQ(m.single_shift, national_language::spanish);
  EXPECT_EQ(m.locking_shift, national_language::none);
  EXPECT_EQ(decode_all_parts(m), text);
}

TEST(national, portuguese_text) {
  const std::string text =
      "N\xC3\xA3o h\xC3\xA1 a\xC3\xA7\xC3\xB5"
      "es \xC3\xA0s tr\xC3\xAAs: voc\xC3\xAA e o av\xC3\xB4";
  const auto m = encode_in(national_language::portuguese, text);
  ASSERT_EQ(m.coding, encoding::gsm7);
  EXPECT_EQ(decode_all_parts(m), text);
  expect_fits(m);
}

TEST(national, text_the_tables_cannot_carry_is_ucs2) {
  const auto m = encode_in(national_language::turkish, "\xC5\x9E \xD0\x96");  // Ş Ж
  EXPECT_EQ(m.coding, encoding::ucs2);
  EXPECT_TRUE(m.segments[0].udh.empty());
}

TEST(national, the_default_alphabet_needs_no_udh) {
  const auto m = encode_in(national_language::turkish, "plain text");
  EXPECT_EQ(m.locking_shift, national_language::none);
  EXPECT_EQ(m.single_shift, national_language::none);
  EXPECT_TRUE(m.segments[0].udh.empty());
}

TEST(national, part_sizes_account_for_the_udh) {
  // Single shift only, 8-bit reference: 1 + 5 + 3 = 9 octets of UDH -> 149 septets a part;
  // one part alone: 1 + 3 -> 155 septets.
  // Spanish (no locking shift table to fall back on); á is an escape pair.
  const std::string a_acute = "\xC3\xA1";
  const auto one = encode_in(national_language::spanish, repeat("a", 153) + a_acute);
  EXPECT_EQ(one.segments.size(), 1u);
  const auto two = encode_in(national_language::spanish, repeat("a", 154) + a_acute);
  EXPECT_EQ(two.segments.size(), 2u);
  // Turkish: "a" x 154 + ş fits one part in the locking shift table (ş one septet, 155 of 155).
  const auto locking = encode_in(national_language::turkish, repeat("a", 154) + "\xC5\x9F");
  EXPECT_EQ(locking.segments.size(), 1u);
  EXPECT_EQ(locking.locking_shift, national_language::turkish);
  for (bool ref16 : {false, true}) {
    const auto m =
        encode_in(national_language::portuguese, repeat("a\xC3\xA3\xC3\xAA{", 200), ref16);
    EXPECT_EQ(decode_all_parts(m), repeat("a\xC3\xA3\xC3\xAA{", 200));
    expect_fits(m);
    for (std::size_t i = 0; i + 1 < m.segments.size(); ++i) {
      // Full parts use the room the UDH leaves (an escape pair may end one a septet early).
      EXPECT_GE(test_support::user_data_octets(m.coding, m.segments[i]), 139u);
    }
  }
}

TEST(national, every_table_entry_round_trips_in_every_alphabet) {
  for (auto l :
       {national_language::turkish, national_language::spanish, national_language::portuguese}) {
    for (const alphabet& a : alphabets_for(l)) {
      std::u32string all;
      for (std::size_t septet = 0; septet < a.locking->size(); ++septet) {
        if (septet != gsm7::escape) all.push_back((*a.locking)[septet]);
      }
      for (const auto& e : a.single) all.push_back(e.character);
      for (char32_t c : all) {
        const auto septets = to_septets(std::u32string(1, c), a);
        ASSERT_TRUE(septets.has_value()) << static_cast<unsigned>(c);
        EXPECT_EQ(to_utf8(*septets, a), utf8::encode(std::u32string(1, c)))
            << to_string(l) << " " << static_cast<unsigned>(c);
      }
      // And through encode(): the chosen alphabet may differ, the text may not.
      const std::string text = utf8::encode(all);
      EXPECT_EQ(decode_all_parts(encode_in(l, text)), text) << to_string(l);
    }
  }
}

TEST(national, seeded_random_texts_fit_and_decode_back) {
  std::mt19937 engine(23038);
  for (auto l :
       {national_language::turkish, national_language::spanish, national_language::portuguese}) {
    const auto alphabets = alphabets_for(l);
    for (int i = 0; i < 100; ++i) {
      const alphabet& a = alphabets[engine() % alphabets.size()];
      std::u32string text;
      const std::size_t length = engine() % 500;
      for (std::size_t k = 0; k < length; ++k) {
        if (engine() % 3 == 0) {
          text.push_back(a.single[engine() % a.single.size()].character);
        } else {
          const std::size_t septet = engine() % 128;
          text.push_back(septet == gsm7::escape ? U'x' : (*a.locking)[septet]);
        }
      }
      const std::string utf8_text = utf8::encode(text);
      const auto m = encode_in(l, utf8_text, i % 2 == 1);
      EXPECT_EQ(m.coding, encoding::gsm7);
      EXPECT_EQ(decode_all_parts(m), utf8_text);
      expect_fits(m);
    }
  }
}

TEST(national, names) {
  national_language l = national_language::none;
  EXPECT_TRUE(parse_national_language("portuguese", l));
  EXPECT_EQ(l, national_language::portuguese);
  EXPECT_FALSE(parse_national_language("klingon", l));
}

}  // namespace
}  // namespace mail2sms::sms
