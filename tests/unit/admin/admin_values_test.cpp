// What account administration accepts, before the database sees it: setting values, durations,
// sender patterns, fingerprints, group names, labels; and numbers masked in audit details.
#include <gtest/gtest.h>

#include "sql/admin_values.hpp"

namespace mail2sms::sql {
namespace {

std::string normal(std::string_view key, std::string_view value) {
  const auto* s = find_setting(key);
  EXPECT_NE(s, nullptr) << key;
  if (s == nullptr) return {};
  auto r = normalise_setting(*s, value);
  EXPECT_TRUE(r.has_value()) << key << "=" << value << ": " << r.error();
  return r.has_value() ? *r : std::string();
}

std::string why_not(std::string_view key, std::string_view value) {
  auto r = normalise_setting(*find_setting(key), value);
  EXPECT_FALSE(r.has_value()) << key << "=" << value << " was accepted as " << *r;
  return r.has_value() ? std::string() : r.error();
}

TEST(settings, every_key_names_a_column_and_says_what_is_valid) {
  EXPECT_EQ(settings().size(), 22u);
  for (const auto& s : settings()) {
    EXPECT_FALSE(s.column.empty()) << s.key;
    EXPECT_FALSE(s.valid.empty()) << s.key;
    EXPECT_EQ(find_setting(s.key), &s);
  }
  EXPECT_EQ(find_setting("max_parts"), nullptr);
}

TEST(settings, values_are_normalised_to_what_the_column_takes) {
  EXPECT_EQ(normal("country", "za"), "ZA");
  EXPECT_EQ(normal("countries", " za , NA,za"), "{\"ZA\",\"NA\"}");
  EXPECT_EQ(normal("countries", "*"), "{*}");
  EXPECT_EQ(normal("countries", ""), "{}");
  EXPECT_EQ(normal("number-types", "Mobile, voip"), "{\"mobile\",\"voip\"}");
  EXPECT_EQ(normal("sender-id", "Alerts2"), "Alerts2");
  EXPECT_EQ(normal("sender-id", "+123456789012345"), "+123456789012345");
  EXPECT_EQ(normal("sender-id", ""), "");
  EXPECT_EQ(normal("max-parts", "255"), "255");
  EXPECT_EQ(normal("dedup-window", "2h"), "7200");
  EXPECT_EQ(normal("segments-per-day", "0"), "0");
  EXPECT_EQ(normal("end-marker", " ## "), "##");
  EXPECT_EQ(normal("timezone", "America/Argentina/Buenos_Aires"), "America/Argentina/Buenos_Aires");
  EXPECT_EQ(normal("national-language", "turkish"), "turkish");
  EXPECT_EQ(normal("national-language", "Portuguese"), "portuguese");
  EXPECT_EQ(normal("national-language", "none"), "none");
  EXPECT_EQ(normal("concatenation-reference", "16"), "16");
  EXPECT_EQ(normal("concatenation-reference", "8"), "8");
}

TEST(settings, encoding_settings_name_the_allowed_values) {
  EXPECT_EQ(find_setting("national-language")->column, "national_language");
  EXPECT_EQ(find_setting("concatenation-reference")->column, "concatenation_reference");
  EXPECT_EQ(why_not("national-language", "greek"),
            "national-language 'greek' is not valid; write none, turkish, spanish or portuguese");
  why_not("national-language", "");
  EXPECT_EQ(why_not("concatenation-reference", "32"),
            "concatenation-reference '32' is not valid; write 8 or 16 (bits)");
  why_not("concatenation-reference", "016");
  why_not("concatenation-reference", "16bit");
  why_not("concatenation-reference", "0");
}

TEST(settings, notify_and_notify_to) {
  EXPECT_EQ(find_setting("notify")->column, "notify");
  EXPECT_EQ(find_setting("notify-to")->column, "notify_to");
  EXPECT_EQ(normal("notify", "failures"), "failures");
  EXPECT_EQ(normal("notify", "ALL"), "all");
  EXPECT_EQ(normal("notify", "off"), "off");
  EXPECT_EQ(normal("notify-to", "Sender"), "sender");
  EXPECT_EQ(normal("notify-to", " ops@example.com "), "ops@example.com");
  EXPECT_EQ(why_not("notify", "yes"),
            "notify 'yes' is not valid; write off, failures (a mail when an SMS failed or "
            "expired) or all (also when one was delivered)");
  for (const char* bad : {"", "ops", "@example.com", "ops@", "a@b@c", "Ops <ops@example.com>",
                          "a b@example.com", "ops@example.com,x@y.z", "o\nps@example.com"}) {
    EXPECT_NE(why_not("notify-to", bad).find("is not one plain email address"), std::string::npos)
        << bad;
  }
}

TEST(settings, a_bad_value_says_what_a_good_one_looks_like) {
  EXPECT_EQ(why_not("max-parts", "0"),
            "max-parts '0' is not valid; write a whole number from 1 to 255");
  EXPECT_EQ(why_not("countries", "ZA,Mars"),
            "countries 'ZA,Mars' is not valid: 'Mars' is not a country code libphonenumber knows; "
            "write a comma-separated list of ISO 3166 two-letter codes (e.g. ZA,NA,BW), * for any "
            "country, or \"\" for the account's own country only");
  EXPECT_NE(why_not("sender-id", "ALERTS-TEAM").find("up to 11 letters and digits"),
            std::string::npos);
  EXPECT_NE(why_not("sender-id", "1234567890123456").find("up to 15 digits"), std::string::npos);
  EXPECT_NE(why_not("end-marker", "\t").find("control character"), std::string::npos);
  EXPECT_NE(why_not("end-marker", std::string(65, '#')).find("longer than 64"), std::string::npos);
  why_not("transliterate", "TRUE");
  why_not("dedup-window", "-5s");
  why_not("dedup-window", "1y");
  why_not("dedup-window", "99999999d");
}

TEST(settings, unknown_keys_list_the_keys_and_suggest_one) {
  const auto message = unknown_setting_message("Dedup_Seconds");
  EXPECT_NE(message.find("'Dedup_Seconds' is not a setting; the settings are sender-id, country,"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("did you mean 'dedup-window'?"), std::string::npos) << message;
  EXPECT_EQ(unknown_setting_message("colour").find("did you mean"), std::string::npos);
}

TEST(durations, units) {
  EXPECT_EQ(*parse_duration("0"), 0);
  EXPECT_EQ(*parse_duration("45s"), 45);
  EXPECT_EQ(*parse_duration("10m"), 600);
  EXPECT_EQ(*parse_duration("1d"), 86400);
  EXPECT_FALSE(parse_duration("").has_value());
  EXPECT_FALSE(parse_duration("m").has_value());
  EXPECT_FALSE(parse_duration("1.5h").has_value());
}

TEST(sender_patterns, lower_case_and_shape) {
  EXPECT_EQ(*normalise_sender_pattern(" Nagios@Mon.Example.COM "), "nagios@mon.example.com");
  EXPECT_EQ(*normalise_sender_pattern("*@example.com"), "*@example.com");
  EXPECT_EQ(*normalise_sender_pattern("first.last+tag@localhost"), "first.last+tag@localhost");
  for (const char* bad : {"", "@", "x@", "@x", "*x@example.com", ".a@example.com", "a@example..com",
                          "a@exam_ple.com", "a b@example.com"})
    EXPECT_FALSE(normalise_sender_pattern(bad).has_value()) << bad;
}

TEST(fingerprints, the_forms_people_copy) {
  const std::string hex(64, 'a');
  std::string colons;
  for (int i = 0; i < 32; ++i) colons += std::string(i ? ":" : "") + "AA";
  EXPECT_EQ(*normalise_fingerprint(hex), hex);
  EXPECT_EQ(*normalise_fingerprint(colons), hex);
  EXPECT_EQ(*normalise_fingerprint("sha256 Fingerprint=" + colons + "\n"), hex);
  EXPECT_FALSE(normalise_fingerprint(std::string(63, 'a')).has_value());
  EXPECT_FALSE(normalise_fingerprint(std::string(64, 'g')).has_value());
  EXPECT_FALSE(normalise_fingerprint(std::string(40, 'a')).has_value());  // SHA-1 is not it
}

TEST(group_names, the_local_part_of_group_at_domain) {
  EXPECT_EQ(*normalise_group_name("OnCall"), "oncall");
  EXPECT_EQ(*normalise_group_name("night-shift.2"), "night-shift.2");
  for (const char* bad : {"", "2nd-shift", "on call", "ops@x", "-x", "+27821234567"})
    EXPECT_FALSE(normalise_group_name(bad).has_value()) << bad;
  EXPECT_FALSE(normalise_group_name(std::string(65, 'a')).has_value());
  EXPECT_TRUE(normalise_group_name(std::string(64, 'a')).has_value());
}

TEST(password_labels, shape) {
  EXPECT_EQ(check_password_label("nagios-1"), "");
  EXPECT_NE(check_password_label(""), "");
  EXPECT_NE(check_password_label("my laptop"), "");
  EXPECT_NE(check_password_label(".hidden"), "");
  EXPECT_EQ(check_password_label(std::string(64, 'a')), "");
  EXPECT_NE(check_password_label(std::string(65, 'a')), "");
  EXPECT_NE(check_password_label("caf\xc3\xa9"), "");  // letters are ASCII ones
}

TEST(text_array_literal, quotes_and_escapes) {
  EXPECT_EQ(text_array_literal({}), "{}");
  EXPECT_EQ(text_array_literal({"a", "b\"c", "d\\e", "f,g", ""}),
            "{\"a\",\"b\\\"c\",\"d\\\\e\",\"f,g\",\"\"}");
  // Runs of them, mixed, at either end.
  EXPECT_EQ(text_array_literal({"\"\\\"", "\\\\x\"\"", "plain"}),
            "{\"\\\"\\\\\\\"\",\"\\\\\\\\x\\\"\\\"\",\"plain\"}");
  // A NUL (no text column can hold one; libpq would cut the parameter there) becomes U+FFFD,
  // among the escapes and at either end.
  using namespace std::string_literals;
  EXPECT_EQ(text_array_literal({"PIN 4711 \0 x"s, "\0\"\0"s, "a\\\0"s}),
            "{\"PIN 4711 \xEF\xBF\xBD x\",\"\xEF\xBF\xBD\\\"\xEF\xBF\xBD\","
            "\"a\\\\\xEF\xBF\xBD\"}");
}

}  // namespace
}  // namespace mail2sms::sql
