// RFC 4180 reading: quoting, line ends, blank lines, and errors with the line they are on.
#include <gtest/gtest.h>

#include "sql/csv.hpp"

namespace mail2sms::sql {
namespace {

using fields = std::vector<std::string>;

std::vector<csv_record> parsed(std::string_view text) {
  auto r = parse_csv(text);
  EXPECT_TRUE(r.has_value()) << r.error().line << ": " << r.error().message;
  return r.has_value() ? *r : std::vector<csv_record>{};
}

TEST(csv, fields_lines_and_line_ends) {
  const auto records = parsed("a,b,c\r\n1,,3\n\n x ,y,z");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].fields, (fields{"a", "b", "c"}));
  EXPECT_EQ(records[1].fields, (fields{"1", "", "3"}));
  EXPECT_EQ(records[2].fields, (fields{" x ", "y", "z"}));  // blanks belong to the field
  EXPECT_EQ(records[2].line, 4);                            // the blank line 3 is skipped
}

TEST(csv, quoted_fields_hold_commas_quotes_and_line_breaks) {
  const auto records = parsed("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"\"\nnext,1,2,3\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (fields{"a,b", "say \"hi\"", "two\nlines", ""}));
  EXPECT_EQ(records[1].line, 3);  // the quoted line break counts
}

TEST(csv, byte_order_mark_and_trailing_separator) {
  const auto records = parsed("\xEF\xBB\xBFnumber,name,\n1,2,\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields, (fields{"number", "name", ""}));
  EXPECT_EQ(records[1].fields, (fields{"1", "2", ""}));
}

TEST(csv, errors_name_their_line) {
  const std::vector<std::tuple<std::string, int, std::string>> bad{
      {"a,b\n1,\"open\n2,3\n", 2, "not closed"},
      {"a,b\n\n1,x\"y\n", 3, "a quote inside an unquoted field"},
      {"a,b\n\"q\"z,1\n", 2, "text after a closing quote"},
  };
  for (const auto& [text, line, fragment] : bad) {
    auto r = parse_csv(text);
    ASSERT_FALSE(r.has_value()) << text;
    EXPECT_EQ(r.error().line, line) << text;
    EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
  }
}

TEST(csv, empty_text_has_no_records) { EXPECT_TRUE(parsed("").empty()); }

}  // namespace
}  // namespace mail2sms::sql
