// core/phone: what a recipient's local part becomes (E.164 or a reply sentence), and how numbers
// look in logs.
#include "core/phone/phone.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace mail2sms::phone {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

std::string e164_of(std::string_view text, std::string_view region) {
  auto number = to_e164(text, region);
  EXPECT_TRUE(number.has_value()) << text << " in " << region << ": " << number.error();
  return number ? *number : std::string{};
}

std::string error_of(std::string_view text, std::string_view region) {
  auto number = to_e164(text, region);
  EXPECT_FALSE(number.has_value()) << text << " in " << region << " gave " << *number;
  return number ? std::string{} : number.error();
}

TEST(to_e164, international_form_is_kept) {
  EXPECT_EQ(e164_of("+27821234567", "ZA"), "+27821234567");
  EXPECT_EQ(e164_of("+27821234567", "US"), "+27821234567");
  EXPECT_EQ(e164_of("+447911123456", "ZA"), "+447911123456");
}

TEST(to_e164, international_form_needs_no_default_region) {
  EXPECT_EQ(e164_of("+27821234567", ""), "+27821234567");
}

TEST(to_e164, national_form_is_read_in_the_default_region) {
  EXPECT_EQ(e164_of("0821234567", "ZA"), "+27821234567");
  EXPECT_EQ(e164_of("07911123456", "GB"), "+447911123456");
  EXPECT_EQ(e164_of("2015550123", "US"), "+12015550123");
}

TEST(to_e164, region_is_case_insensitive) {
  EXPECT_EQ(e164_of("0821234567", "za"), "+27821234567");
}

TEST(to_e164, country_code_without_plus_is_recognised_as_libphonenumber_does) {
  // Without "+", the number is read in the default region; libphonenumber strips a leading
  // country code of that region when what follows is a valid national number.
  EXPECT_EQ(e164_of("27821234567", "ZA"), "+27821234567");
}

TEST(to_e164, international_dialling_prefix_of_the_region_is_understood) {
  EXPECT_EQ(e164_of("0027821234567", "ZA"), "+27821234567");
}

TEST(to_e164, separators_seen_in_addresses_are_ignored) {
  EXPECT_EQ(e164_of("+27.82.123.4567", "ZA"), "+27821234567");
  EXPECT_EQ(e164_of("082-123-4567", "ZA"), "+27821234567");
  EXPECT_EQ(e164_of("(082)123-4567", "ZA"), "+27821234567");
  EXPECT_EQ(e164_of("+1(201)555-0123", "ZA"), "+12015550123");
  EXPECT_EQ(e164_of("+27 82 123 4567", "ZA"), "+27821234567");  // RCPT TO:<"+27 82 123 4567"@...>
  EXPECT_EQ(e164_of("082 123 4567", "ZA"), "+27821234567");
}

TEST(to_e164, words_are_not_numbers) {
  EXPECT_EQ(error_of("abc", "ZA"),
            "'abc' is not a phone number; use the international form +<country code><number>, "
            "e.g. +27821234567");
  EXPECT_THAT(error_of("", "ZA"), HasSubstr("is not a phone number"));
  EXPECT_THAT(error_of("+", "ZA"), HasSubstr("is not a phone number"));
  EXPECT_THAT(error_of("oncall", "ZA"), HasSubstr("'oncall' is not a phone number"));
}

TEST(to_e164, letters_extensions_and_stray_plus_signs_are_refused) {
  EXPECT_THAT(error_of("0821234567x12", "ZA"), HasSubstr("is not a phone number"));
  EXPECT_THAT(error_of("1-800-FLOWERS", "US"), HasSubstr("is not a phone number"));
  EXPECT_THAT(error_of("27+821234567", "ZA"), HasSubstr("is not a phone number"));
  EXPECT_THAT(error_of("+27 82 123 4567 ext 12", "ZA"), HasSubstr("is not a phone number"));
  EXPECT_THAT(error_of("+27821234567\t", "ZA"), HasSubstr("is not a phone number"));
}

TEST(to_e164, invalid_number_names_the_country_and_what_to_do) {
  EXPECT_EQ(error_of("+278212", "ZA"),
            "'+278212' is too short for a number in ZA; check the digits, or use the "
            "international form +<country code><number>, e.g. +27821234567");
  EXPECT_THAT(error_of("+27821234567890", "GB"),
              AllOf(HasSubstr("'+27821234567890' is too long for a number in ZA"),
                    HasSubstr("use the international form")));
  // Right length, but no such number range in South Africa.
  EXPECT_THAT(error_of("+27001234567", "ZA"),
              HasSubstr("'+27001234567' is not a valid number for ZA; check the digits"));
}

TEST(to_e164, national_number_invalid_in_its_region_names_that_region) {
  EXPECT_THAT(error_of("0821234567", "GB"), HasSubstr("is not a valid number for GB"));
  EXPECT_THAT(error_of("0821", "ZA"), HasSubstr("is too short for a number in ZA"));
  EXPECT_THAT(error_of("082123456789", "ZA"), HasSubstr("is too long for a number in ZA"));
}

TEST(to_e164, too_short_or_too_long_to_be_any_number) {
  // libphonenumber does not read a single digit as a number at all.
  EXPECT_THAT(error_of("1", "ZA"), HasSubstr("'1' is not a phone number"));
  EXPECT_THAT(error_of("12", "ZA"), HasSubstr("'12' is too short for a number in ZA"));
  EXPECT_THAT(error_of("+2712345678901234567890", "ZA"), HasSubstr("too long"));
}

TEST(to_e164, unknown_country_code_is_refused) {
  EXPECT_THAT(error_of("+9991234567", "ZA"), HasSubstr("'+9991234567' has no known country code"));
}

TEST(to_e164, national_number_without_a_usable_default_region_is_refused) {
  EXPECT_EQ(error_of("0821234567", ""),
            "'0821234567' has no country code and no default country is set; use the "
            "international form +<country code><number>, e.g. +27821234567");
  EXPECT_THAT(error_of("0821234567", "XX"),
              HasSubstr("has no country code and 'XX' is not a known country"));
}

TEST(to_e164, error_sentence_is_safe_inside_an_smtp_reply) {
  const std::string error = error_of("12\r\n250 ok", "ZA");
  EXPECT_THAT(error, AllOf(Not(HasSubstr("\r")), Not(HasSubstr("\n"))));
  const std::string long_error = error_of(std::string(500, 'a'), "ZA");
  EXPECT_LT(long_error.size(), 200u);
}

TEST(mask, keeps_country_code_two_digits_and_last_two) {
  EXPECT_EQ(mask("+27821234567"), "+2782*****67");
  EXPECT_EQ(mask("+447911123456"), "+4479******56");
  EXPECT_EQ(mask("+12015550123"), "+120******23");
  EXPECT_EQ(mask("+35312345678"), "+35312****78");
}

TEST(mask, short_input_is_never_shown_whole) {
  EXPECT_EQ(mask(""), "");
  EXPECT_EQ(mask("+"), "+");
  EXPECT_EQ(mask("+27"), "+**");
  EXPECT_EQ(mask("+2782"), "+****");
  EXPECT_EQ(mask("+278212"), "+2****2");
  EXPECT_EQ(mask("+27821234"), "+27****34");
  EXPECT_EQ(mask("+2782123456"), "+2782****56");
}

TEST(mask, input_that_is_not_e164_is_masked_too) {
  EXPECT_EQ(mask("0821234567"), "08******67");
  EXPECT_EQ(mask("abc"), "***");
  EXPECT_EQ(mask("+9991234567"), "+99******67");
}

TEST(mask, hides_at_least_four_characters_of_any_input) {
  for (std::string digits : {"+1", "+12", "+123", "+1234567", "+123456789012345", "12345"}) {
    const std::string masked = mask(digits);
    EXPECT_EQ(masked.size(), digits.size());
    EXPECT_GE(std::count(masked.begin(), masked.end(), '*'),
              std::min<std::ptrdiff_t>(4, static_cast<std::ptrdiff_t>(digits.size()) - 1))
        << digits << " -> " << masked;
  }
}

// parse() and region_of() remember recent answers per thread: an answer asked again, in another
// region, in another spelling, or after the memory has filled and been cleared, is still the one
// libphonenumber gives.
TEST(parse, remembered_answers_are_the_same_answers) {
  const auto za = parse("0821234567", "ZA");
  ASSERT_TRUE(za.has_value());
  EXPECT_EQ(za->e164, "+27821234567");
  EXPECT_EQ(za->type, "mobile");
  const auto gb = parse("0821234567", "GB");  // the same text read in another region
  EXPECT_TRUE(!gb.has_value() || gb->e164 != za->e164);
  const auto again = parse("0821234567", "ZA");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->e164, za->e164);
  EXPECT_EQ(again->region, "ZA");
  // The refusal quotes the text as given, so two spellings of one bad number get their own.
  const auto dashed = parse("082-12", "ZA");
  const auto plain = parse("08212", "ZA");
  ASSERT_FALSE(dashed.has_value());
  ASSERT_FALSE(plain.has_value());
  EXPECT_NE(dashed.error().find("082-12"), std::string::npos) << dashed.error();
  EXPECT_NE(plain.error().find("08212"), std::string::npos) << plain.error();
  // More distinct numbers than are remembered, then the first ones again.
  for (int i = 0; i < 5000; ++i) {
    const auto n = parse("+2782" + std::to_string(1000000 + i), "");
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(region_of(n->e164), "ZA");
  }
  EXPECT_EQ(parse("0821234567", "ZA")->e164, "+27821234567");
  EXPECT_EQ(region_of("+442071838750"), "GB");  // a London number
  EXPECT_EQ(region_of("+27821234567"), "ZA");
}

TEST(is_known_region, iso_codes_with_numbering_data) {
  for (const char* known : {"ZA", "US", "GB", "DE", "NG", "IN"})
    EXPECT_TRUE(is_known_region(known)) << known;
  // Lower case, alpha-3, the "unknown" and non-geographic pseudo-regions, and codes no country has.
  for (const char* unknown : {"za", "ZAF", "ZZ", "001", "XX", "", "Z"})
    EXPECT_FALSE(is_known_region(unknown)) << unknown;
}

TEST(redact_numbers, masks_phone_numbers_and_leaves_the_rest) {
  EXPECT_EQ(redact_numbers("sender-id=+27821234567"), "sender-id=+2782*****67");
  EXPECT_EQ(redact_numbers("call 082 123 4567 now"), "call 08******67 now");
  EXPECT_EQ(redact_numbers("27821234567@sms.example.com"), "27*******67@sms.example.com");
  EXPECT_EQ(redact_numbers("max-parts=5, port 2525, id 123456"),
            "max-parts=5, port 2525, id 123456");
  EXPECT_EQ(redact_numbers("+27821234567 and +4915112345678"), "+2782*****67 and +4915*******78");
  EXPECT_EQ(redact_numbers(""), "");
  EXPECT_EQ(redact_numbers("+"), "+");
}

// Whatever people (or a log's escaping) put between the digits: any ASCII punctuation or white
// space, up to three in a row, invisible characters, and the digits of other scripts.
TEST(redact_numbers, masks_numbers_whatever_separates_their_digits) {
  for (const char* written :
       {"082_123_9876", "082/123/9876", "082=123=9876", "0821_239876", "082~123~9876",
        "082,123,9876", "082*123*9876", "082#123#9876", "082\t123\t9876", "082 / 123 / 9876",
        "0???8???2???1???2???3???9???8???7???6",                                // a log's ZWSPs
        "0\u200b8\u200b2\u200b1\u200b2\u200b3\u200b9\u200b8\u200b7\u200b6"}) {  // ZWSPs
    const std::string shown = redact_numbers(std::string("<") + written + "@evil.example>");
    EXPECT_EQ(shown, "<08******76@evil.example>") << written;
  }
  EXPECT_EQ(redact_numbers("R +27_82_123_9876)"), "R +2782*****76)");
  // Fullwidth and Arabic-Indic digits are masked as the ASCII digits they stand for.
  EXPECT_EQ(redact_numbers("(R \uff10\uff18\uff12\uff11\uff12\uff13\uff19\uff18\uff17\uff16)"),
            "(R 08******76)");
  EXPECT_EQ(redact_numbers("\u0660\u0668\u0662\u0661\u0662\u0663\u0669\u0668\u0667\u0666"),
            "08******76");
  // Letters end a run, so do four separators in a row; a short run stays as it is.
  EXPECT_EQ(redact_numbers("port 2525, id 123456, max-parts=5"),
            "port 2525, id 123456, max-parts=5");
  EXPECT_EQ(redact_numbers("123 - - - 4567"), "123 - - - 4567");
  // Brackets, quotes, '@', ':' and ';' end a number: an escape sequence after it, a time, a list.
  EXPECT_EQ(redact_numbers("<+27821239876 [2J@evil.example>"), "<+2782*****76 [2J@evil.example>");
  EXPECT_EQ(redact_numbers("at 08:10:11; 12:30:45"), "at 08:10:11; 12:30:45");
  EXPECT_EQ(redact_numbers("ids 123;456;789"), "ids 123;456;789");
  EXPECT_EQ(redact_numbers("caf\u00e9 1234567 \u00e9t\u00e9"),
            "caf\u00e9 " + mask("1234567") + " \u00e9t\u00e9");
  // Invalid UTF-8 is a separator, not a crash.
  EXPECT_EQ(redact_numbers("082\xff"
                           "123\xff"
                           "9876"),
            "08******76");
}

}  // namespace
}  // namespace mail2sms::phone
