// Grapheme-safe segmentation, smart GSM, transliteration and explain(); and seeded property tests
// over random Unicode: every part fits 140 octets, the parts give back exactly the text sent, and
// no part starts or ends inside a grapheme cluster (checked against ICU directly).
#include <gtest/gtest.h>
#include <unicode/brkiter.h>
#include <unicode/unistr.h>

#include <memory>
#include <random>
#include <set>
#include <string>

#include "core/sms/explain.hpp"
#include "core/sms/gsm7.hpp"
#include "core/sms/sms.hpp"
#include "core/sms/utf8.hpp"
#include "sms_test_support.hpp"

namespace mail2sms::sms {
namespace {

using test_support::decode_all;
using test_support::repeat;

// Code point offsets where ICU puts a grapheme boundary.
std::set<std::size_t> grapheme_boundaries(const std::string& text) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> it(
      icu::BreakIterator::createCharacterInstance(icu::Locale::getRoot(), status));
  EXPECT_TRUE(U_SUCCESS(status));
  const icu::UnicodeString u = icu::UnicodeString::fromUTF8(text);
  it->setText(u);
  std::set<std::size_t> out;
  for (std::int32_t b = it->first(); b != icu::BreakIterator::DONE; b = it->next()) {
    out.insert(static_cast<std::size_t>(u.countChar32(0, b)));
  }
  return out;
}

// The code point offsets where parts meet.
std::vector<std::size_t> part_boundaries(const encoded_message& m) {
  std::vector<std::size_t> out;
  std::size_t at = 0;
  for (std::size_t i = 0; i + 1 < m.segments.size(); ++i) {
    at += utf8::decode(decode(m.coding, m.segments[i].payload)).size();
    out.push_back(at);
  }
  return out;
}

void expect_grapheme_safe(const encoded_message& m) {
  const auto graphemes = grapheme_boundaries(m.text);
  for (std::size_t b : part_boundaries(m)) {
    EXPECT_TRUE(graphemes.contains(b)) << "a part boundary inside a grapheme at code point " << b;
  }
}

const std::string family =
    "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";  // 👨‍👩‍👧, 8
                                                                                 // units
const std::string flag_za = "\xF0\x9F\x87\xBF\xF0\x9F\x87\xA6";     // 🇿🇦, 4 units
const std::string thumb_dark = "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBF";  // 👍🏿, 4 units
const std::string e_acute_combining = "e\xCC\x81";                  // é as e + U+0301

TEST(grapheme_segments, emoji_sequences_are_never_split) {
  for (const std::string& cluster : {family, flag_za, thumb_dark, e_acute_combining + "\xCC\xA7"}) {
    for (std::size_t lead = 60; lead < 70; ++lead) {
      const std::string text = repeat("\xD0\x96", lead) + repeat(cluster, 20);  // Ж: UCS-2
      const auto m = encode(text);
      ASSERT_EQ(m.coding, encoding::ucs2);
      EXPECT_EQ(decode_all(m), text);
      expect_grapheme_safe(m);
    }
  }
}

TEST(grapheme_segments, a_cluster_at_the_boundary_moves_whole_to_the_next_part) {
  // 65 units of Ж, then a family (8 units): 65 + 8 > 67, so part 1 ends after the Ж.
  const auto m = encode(repeat("\xD0\x96", 65) + family + "x");
  ASSERT_EQ(m.segments.size(), 2u);
  EXPECT_EQ(decode(m.coding, m.segments[0].payload), repeat("\xD0\x96", 65));
  EXPECT_EQ(decode(m.coding, m.segments[1].payload), family + "x");
}

TEST(grapheme_segments, crlf_is_one_cluster_in_gsm) {
  const auto m = encode(repeat("a", 152) + "\r\n" + repeat("b", 10));
  ASSERT_EQ(m.coding, encoding::gsm7);
  ASSERT_EQ(m.segments.size(), 2u);
  EXPECT_EQ(decode(m.coding, m.segments[0].payload), repeat("a", 152));
}

TEST(grapheme_segments, a_cluster_longer_than_a_part_is_cut_between_code_points) {
  const std::string text = "a" + repeat("\xCC\x81", 200);  // one grapheme, 201 units
  const auto m = encode(text);
  EXPECT_EQ(m.segments.size(), 3u);
  EXPECT_EQ(decode_all(m), text);
}

TEST(smart_gsm, typographic_characters_become_gsm) {
  const auto m = encode(
      "It\xE2\x80\x99s \xE2\x80\x9C"
      "done\xE2\x80\x9D \xE2\x80\x93 ok\xE2\x80\xA6\xC2\xA0"
      "bye\t!");
  EXPECT_EQ(m.coding, encoding::gsm7);
  EXPECT_EQ(m.text, "It's \"done\" - ok... bye !");
  EXPECT_EQ(decode_all(m), m.text);
}

TEST(smart_gsm, one_curly_quote_does_not_cost_ucs2) {
  const std::string text = repeat("a", 150) + "\xE2\x80\x99";
  EXPECT_EQ(encode(text).segments.size(), 1u);
  encode_options off;
  off.smart_gsm = false;
  EXPECT_EQ(encode(text, off).coding, encoding::ucs2);
  EXPECT_EQ(encode(text, off).segments.size(), 3u);
  EXPECT_EQ(encode(text, off).text, text);
}

TEST(smart_gsm, text_that_needs_ucs2_anyway_is_sent_unchanged) {
  const std::string text =
      "\xE2\x80\x9C\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82\xE2\x80\x9D";  // “Привет”
  const auto m = encode(text);
  EXPECT_EQ(m.coding, encoding::ucs2);
  EXPECT_EQ(m.text, text);
}

TEST(smart_gsm, fullwidth_and_zero_width_characters) {
  EXPECT_EQ(encode("\xEF\xBC\xA1\xEF\xBC\x81 a\xE2\x80\x8B"
                   "b")
                .text,
            "A! ab");
  EXPECT_EQ(encode("\xC3\xA7"
                   "a")
                .text,
            "\xC3\x87"
            "a");  // ç -> Ç
}

TEST(transliteration, only_when_asked_and_only_non_gsm_characters) {
  const std::string text =
      "Caf\xC3\xA9 \xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xC5\x82\xC3\xB3"
      "d\xC5\xBA";  // Café Привет łódź
  EXPECT_EQ(encode(text).coding, encoding::ucs2);
  encode_options options;
  options.transliterate = true;
  const auto m = encode(text, options);
  EXPECT_EQ(m.coding, encoding::gsm7);
  EXPECT_EQ(m.text, "Caf\xC3\xA9 Privet lodz");  // é is GSM: kept; ó is not
  EXPECT_EQ(decode_all(m), m.text);
  // Emoji cannot be transliterated: the text stays UCS-2, unchanged.
  EXPECT_EQ(encode(text + "\xF0\x9F\x98\x80", options).text, text + "\xF0\x9F\x98\x80");
}

TEST(explain, names_the_characters_that_force_ucs2_and_the_saving) {
  const std::string text = repeat("Server down. ", 12) + "\xF0\x9F\x98\x80 \xD0\x96";  // 😀 Ж
  const auto e = explain(text);
  EXPECT_EQ(e.message.coding, encoding::ucs2);
  ASSERT_EQ(e.forcing_ucs2.size(), 2u);
  EXPECT_EQ(e.forcing_ucs2[0].character, U'\U0001F600');
  EXPECT_EQ(e.forcing_ucs2[0].replacement, "");
  EXPECT_EQ(e.forcing_ucs2[1].character, U'\u0416');
  EXPECT_EQ(e.forcing_ucs2[1].replacement, "Z");  // ICU Any-Latin: Ж -> Ž -> Z
  EXPECT_EQ(e.message.segments.size(), 3u);       // 160 UTF-16 units
  EXPECT_EQ(e.segments_if_replaced, 1u);          // 159 septets
}

TEST(explain, reports_what_smart_gsm_replaced) {
  const auto e = explain(repeat("x", 100) + "\xE2\x80\x99\xE2\x80\x99");
  EXPECT_EQ(e.message.coding, encoding::gsm7);
  ASSERT_EQ(e.replaced.size(), 1u);
  EXPECT_EQ(e.replaced[0].count, 2u);
  EXPECT_EQ(e.replaced[0].replacement, "'");
  EXPECT_EQ(e.segments_without_replacements, 2u);
  EXPECT_TRUE(e.forcing_ucs2.empty());
}

// Random Unicode from pools that stress the boundaries: GSM with escapes, Latin-1, Cyrillic,
// CJK, astral emoji, ZWJ sequences, flags, skin tones, combining marks, typographic punctuation.
class random_unicode {
 public:
  explicit random_unicode(std::uint32_t seed) : engine_(seed) {}

  std::string next() {
    const std::size_t length = pick(400);
    std::string text;
    const int flavour = static_cast<int>(pick(3));  // 0: GSM-ish, 1: mixed, 2: emoji-heavy
    for (std::size_t i = 0; i < length; ++i) text += piece(flavour);
    return text;
  }

 private:
  std::size_t pick(std::size_t bound) { return engine_() % bound; }

  std::string one(char32_t c) { return utf8::encode(std::u32string(1, c)); }

  std::string piece(int flavour) {
    const std::size_t kind = flavour == 0 ? pick(3) : flavour == 1 ? pick(10) : 3 + pick(7);
    switch (kind) {
      case 0:
        return one(static_cast<char32_t>(0x20 + pick(0x5F)));
      case 1:
        return one(gsm7::extension_table[pick(gsm7::extension_table.size())].character);
      case 2:
        return one(std::u32string_view(U"\u2019\u201C\u201D\u2013\u2026\u00A0")[pick(6)]);
      case 3:
        return one(static_cast<char32_t>(0x410 + pick(0x40)));  // Cyrillic
      case 4:
        return one(static_cast<char32_t>(0x4E00 + pick(0x5000)));  // CJK
      case 5:
        return one(static_cast<char32_t>(0x1F600 + pick(0x50)));  // emoji: surrogate pairs
      case 6:
        return family;
      case 7:
        return one(static_cast<char32_t>(0x1F1E6 + pick(26))) +
               one(static_cast<char32_t>(0x1F1E6 + pick(26)));  // flag
      case 8:
        return thumb_dark;
      default:
        return "a" + one(static_cast<char32_t>(0x300 + pick(0x70)));  // combining mark
    }
  }

  std::mt19937 engine_;  // the standard fixes mt19937's sequence: the same texts everywhere
};

TEST(properties, random_unicode_parts_fit_decode_back_and_respect_graphemes) {
  random_unicode texts(5);
  for (int i = 0; i < 600; ++i) {
    const std::string text = texts.next();
    SCOPED_TRACE("text #" + std::to_string(i));
    encode_options options;
    options.reference = static_cast<std::uint16_t>(i);
    options.reference_16bit = i % 2 == 1;
    options.smart_gsm = i % 3 != 0;
    const auto m = encode(text, options);
    for (const auto& s : m.segments) {
      EXPECT_LE(test_support::user_data_octets(m.coding, s), 140u);
    }
    EXPECT_EQ(decode_all(m), m.text);
    if (!options.smart_gsm) {
      EXPECT_EQ(m.text, text);
    }
    expect_grapheme_safe(m);
  }
}

TEST(properties, every_gsm_table_entry_round_trips_alone_and_at_every_boundary_position) {
  std::vector<char32_t> all;
  for (std::size_t septet = 0; septet < gsm7::basic_table.size(); ++septet) {
    if (septet != gsm7::escape) all.push_back(gsm7::basic_table[septet]);
  }
  for (const auto& entry : gsm7::extension_table) all.push_back(entry.character);
  for (char32_t c : all) {
    const std::string one = utf8::encode(std::u32string(1, c));
    const auto m = encode(one);
    EXPECT_EQ(m.coding, encoding::gsm7);
    EXPECT_EQ(decode_all(m), one);
    for (std::size_t lead : {151u, 152u, 153u, 159u, 160u}) {
      const std::string text = repeat("a", lead) + one + "b";
      const auto long_m = encode(text);
      EXPECT_EQ(decode_all(long_m), text) << static_cast<unsigned>(c) << " after " << lead;
      for (const auto& s : long_m.segments) {
        EXPECT_LE(test_support::user_data_octets(long_m.coding, s), 140u);
      }
    }
  }
}

}  // namespace
}  // namespace mail2sms::sms
