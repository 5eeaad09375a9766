// The corpus under tests/data/mail: every NAME.eml with a NAME.expected.txt beside it must render
// to exactly that SMS text (extract_text, then the subject policy). NAME.options, when present,
// holds the account's settings, one "key: value" a line (subject: POLICY, disclaimer: REGEX,
// end_marker: TEXT, clean: no). NAME.refused.txt instead holds the refusal a mail must get.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/mail/charset.hpp"
#include "core/mail/mail_text.hpp"
#include "core/sms/sms.hpp"

namespace mail2sms::mail {
namespace {

namespace fs = std::filesystem;

const fs::path corpus_dir = fs::path(MAIL2SMS_TEST_DATA) / "mail";

std::string read_file(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

// The expected text as written: one final line break (editors add it) is not part of it.
std::string expected_text(const fs::path& path) {
  std::string text = read_file(path);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

text_options options_for(const fs::path& eml) {
  text_options options;
  fs::path file = eml;
  file.replace_extension(".options");
  if (!fs::exists(file)) return options;
  std::istringstream lines(read_file(file));
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t colon = line.find(": ");
    if (line.empty() || line.front() == '#' || colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    const std::string value = line.substr(colon + 2);
    if (key == "subject") {
      EXPECT_TRUE(parse_subject_policy(value, options.subject)) << file << ": " << value;
    } else if (key == "disclaimer") {
      options.disclaimer_patterns.push_back(value);
    } else if (key == "end_marker") {
      options.end_marker = value;
    } else if (key == "clean") {
      options.clean = value != "no";
    } else {
      ADD_FAILURE() << file << ": unknown key " << key;
    }
  }
  return options;
}

std::vector<fs::path> corpus() {
  std::vector<fs::path> mails;
  for (const auto& entry : fs::directory_iterator(corpus_dir)) {
    if (entry.path().extension() == ".eml") mails.push_back(entry.path());
  }
  std::sort(mails.begin(), mails.end());
  return mails;
}

fs::path beside(fs::path eml, const char* suffix) { return eml.replace_extension().concat(suffix); }

TEST(corpus, every_mail_has_an_expectation_and_there_are_at_least_60) {
  std::size_t with_expectation = 0;
  for (const fs::path& eml : corpus()) {
    const bool expected = fs::exists(beside(eml, ".expected.txt"));
    const bool refused = fs::exists(beside(eml, ".refused.txt"));
    EXPECT_TRUE(expected != refused) << eml << ": needs exactly one of .expected.txt, .refused.txt";
    if (expected || refused) ++with_expectation;
  }
  EXPECT_GE(with_expectation, 60u);
}

TEST(corpus, every_mail_renders_to_its_expected_text) {
  for (const fs::path& eml : corpus()) {
    const std::string name = eml.filename().string();
    const text_options options = options_for(eml);
    const auto extracted = extract_text(read_file(eml), options);
    if (fs::exists(beside(eml, ".refused.txt"))) {
      EXPECT_FALSE(extracted.has_value()) << name;
      if (!extracted) {
        EXPECT_EQ(extracted.error(), expected_text(beside(eml, ".refused.txt"))) << name;
      }
      continue;
    }
    if (!fs::exists(beside(eml, ".expected.txt"))) continue;
    ASSERT_TRUE(extracted.has_value()) << name << ": " << extracted.error();
    const std::string text = sms_text(*extracted, options);
    EXPECT_EQ(text, expected_text(beside(eml, ".expected.txt"))) << name;
    EXPECT_TRUE(is_utf8(text)) << name;
    // And the text survives the trip through SMS parts (smart GSM may change punctuation).
    const auto encoded = sms::encode(text);
    std::string back;
    for (const auto& part : encoded.segments) back += sms::decode(encoded.coding, part.payload);
    EXPECT_EQ(back, encoded.text) << name;
  }
}

}  // namespace
}  // namespace mail2sms::mail
