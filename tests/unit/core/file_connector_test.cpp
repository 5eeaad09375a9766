// The JSONL connector: one line per message with its text and parts; failures are transient.
#include "core/connectors/file/file_connector.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace mail2sms::core {
namespace {

struct file_connector_test : ::testing::Test {
  void SetUp() override {
    char name[] = "/tmp/mail2sms-file-connector-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    dir = name;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::vector<nlohmann::json> lines(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  std::filesystem::path dir;
};

queued_message message_of(const std::string& text, std::int64_t id) {
  queued_message m;
  m.id = id;
  m.queue_id = "Q" + std::to_string(id);
  m.recipient = "+27821234567";
  m.sender_id = "ACME";
  const auto encoded = sms::encode(text);
  m.coding = encoded.coding;
  m.segments = encoded.segments;
  return m;
}

TEST_F(file_connector_test, writes_one_json_line_per_message_with_every_part) {
  file_connector out("outbox", (dir / "out.jsonl").string());
  const std::string long_text(200, 'x');
  auto first = out.submit(message_of("Hello {world}", 1));
  auto second = out.submit(message_of(long_text, 2));
  ASSERT_EQ(first.state, submit_outcome::status::submitted);
  EXPECT_EQ(first.smsc_message_ids, std::vector<std::string>{"file-1-1"});
  ASSERT_EQ(second.smsc_message_ids.size(), 2u);

  const auto written = lines(dir / "out.jsonl");
  ASSERT_EQ(written.size(), 2u);
  EXPECT_EQ(written[0]["queue_id"], "Q1");
  EXPECT_EQ(written[0]["recipient"], "+27821234567");
  EXPECT_EQ(written[0]["sender_id"], "ACME");
  EXPECT_EQ(written[0]["encoding"], "gsm7");
  EXPECT_EQ(written[0]["text"], "Hello {world}");
  EXPECT_EQ(written[1]["text"], long_text);
  ASSERT_EQ(written[1]["parts"].size(), 2u);
  EXPECT_EQ(written[1]["parts"][0]["udh"].get<std::string>().substr(0, 6), "050003");
}

TEST_F(file_connector_test, national_tables_and_16_bit_references_are_read_back_as_sent) {
  file_connector out("outbox", (dir / "out.jsonl").string());
  std::string text;  // Şişli'de buluşalım, sağ ol. İstanbul ... (UCS-2 without the Turkish tables)
  for (int i = 0; i < 8; ++i)
    text +=
        "\xC5\x9Ei\xC5\x9Fli'de bulu\xC5\x9F"
        "al\xC4\xB1m, sa\xC4\x9F ol. \xC4\xB0stanbul. ";
  sms::encode_options options;
  options.reference = 0x1234;
  options.reference_16bit = true;
  options.national = sms::national_language::turkish;
  const auto encoded = sms::encode(text, options);
  ASSERT_EQ(encoded.coding, sms::encoding::gsm7);
  ASSERT_GE(encoded.segments.size(), 2u);
  queued_message m = message_of("", 3);
  m.coding = encoded.coding;
  m.segments = encoded.segments;
  ASSERT_EQ(out.submit(m).state, submit_outcome::status::submitted);

  const auto written = lines(dir / "out.jsonl");
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0]["encoding"], "gsm7");
  EXPECT_EQ(written[0]["text"], text);
  ASSERT_EQ(written[0]["parts"].size(), encoded.segments.size());
  for (std::size_t i = 0; i < encoded.segments.size(); ++i) {
    EXPECT_EQ(written[0]["parts"][i]["text"], sms::decode_part(encoded, i));
    EXPECT_NE(written[0]["parts"][i]["udh"].get<std::string>().find("08041234"), std::string::npos);
  }
}

TEST_F(file_connector_test, an_unwritable_path_is_a_transient_failure_with_the_reason) {
  file_connector out("outbox", (dir / "missing-dir" / "out.jsonl").string());
  auto outcome = out.submit(message_of("Hello", 1));
  EXPECT_EQ(outcome.state, submit_outcome::status::transient_failure);
  EXPECT_NE(outcome.reason.find("cannot write"), std::string::npos) << outcome.reason;
  EXPECT_TRUE(outcome.smsc_message_ids.empty());
}

}  // namespace
}  // namespace mail2sms::core
