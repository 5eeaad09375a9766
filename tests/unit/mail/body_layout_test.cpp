// core/mail body layout: line endings, blank lines, trailing blanks, format=flowed.
#include "core/mail/body_layout.hpp"

#include <gtest/gtest.h>

namespace mail2sms::mail {
namespace {

TEST(normalise_body, line_endings_become_lf) {
  EXPECT_EQ(normalise_body("a\r\nb\rc\nd"), "a\nb\nc\nd");
}

TEST(normalise_body, trailing_blanks_are_stripped_leading_kept) {
  EXPECT_EQ(normalise_body("  indented \t\r\nnext  "), "  indented\nnext");
}

TEST(normalise_body, blank_lines_at_the_ends_are_removed) {
  EXPECT_EQ(normalise_body("\r\n \r\n\ttext\r\n\r\n  \r\n"), "\ttext");
  EXPECT_EQ(normalise_body(" \r\n\r\n"), "");
  EXPECT_EQ(normalise_body(""), "");
}

TEST(normalise_body, runs_of_blank_lines_collapse_to_one) {
  EXPECT_EQ(normalise_body("a\n\nb"), "a\n\nb");
  EXPECT_EQ(normalise_body("a\n\n\nb"), "a\n\nb");
  EXPECT_EQ(normalise_body("a\r\n \r\n\t\r\n\r\nb"), "a\n\nb");
}

TEST(unflow, soft_breaks_join_lines) {
  EXPECT_EQ(unflow("one \r\ntwo\r\nthree", false), "one two\nthree");
  EXPECT_EQ(unflow("one \ntwo \nthree\n", false), "one two three\n");
}

TEST(unflow, delsp_removes_the_space_of_the_soft_break) {
  EXPECT_EQ(unflow("Donauö \ndampf", true), "Donauödampf");
}

TEST(unflow, space_stuffing_is_removed) {
  EXPECT_EQ(unflow(" From me\n >not quoted", false), "From me\n>not quoted");
}

TEST(unflow, signature_separator_is_not_a_soft_break) {
  EXPECT_EQ(unflow("text\n-- \nsig", false), "text\n-- \nsig");
}

TEST(unflow, quote_depth_changes_end_a_paragraph) {
  EXPECT_EQ(unflow("> a \n> b\n>> c \n> d", false), "> a b\n>> c \n> d");
}

}  // namespace
}  // namespace mail2sms::mail
