// CRLF framing: lines end only in CRLF, over-long lines are reported once with bounded memory,
// and every chunking of a stream yields the same lines.
#include "smtpd/crlf_line_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mail2sms::smtpd {
namespace {

// "text", "!long" (with its head: "!long:head") or "?bare:text" per line.
std::vector<std::string> read_all(crlf_line_reader& r, std::size_t max) {
  std::vector<std::string> out;
  while (auto line = r.next(max)) {
    if (line->too_long) {
      out.emplace_back(line->head.empty() ? "!long" : "!long:" + std::string(line->head));
    } else {
      out.push_back((line->bare_cr_or_lf ? "?bare:" : "") + std::string(line->text));
    }
  }
  return out;
}

std::vector<std::string> read_in_chunks(std::string_view stream, std::size_t chunk, std::size_t max) {
  crlf_line_reader r;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < stream.size(); i += chunk) {
    r.put(stream.substr(i, chunk));
    for (auto& l : read_all(r, max)) out.push_back(std::move(l));
  }
  return out;
}

TEST(crlf_line_reader, splits_at_crlf_only) {
  crlf_line_reader r;
  r.put("HELO a\r\nNOOP\nQUIT\r\nX\rY\r\n\r\n");
  EXPECT_EQ(read_all(r, 100),
            (std::vector<std::string>{"HELO a", "?bare:NOOP\nQUIT", "?bare:X\rY", ""}));
  EXPECT_EQ(r.buffered(), 0U);
}

TEST(crlf_line_reader, waits_for_the_lf_of_a_split_crlf) {
  crlf_line_reader r;
  r.put("NOOP\r");
  EXPECT_FALSE(r.next(100));
  r.put("\nRSET");
  EXPECT_EQ(read_all(r, 100), std::vector<std::string>{"NOOP"});
  EXPECT_EQ(r.buffered(), 4U);
}

TEST(crlf_line_reader, cr_cr_lf_is_a_bare_cr_then_the_line_end) {
  crlf_line_reader r;
  r.put("abc\r\r\n");
  EXPECT_EQ(read_all(r, 100), std::vector<std::string>{"?bare:abc\r"});
}

TEST(crlf_line_reader, limit_counts_the_crlf) {
  crlf_line_reader r;
  r.put(std::string(8, 'a') + "\r\n" + std::string(9, 'b') + "\r\nok\r\n");
  EXPECT_EQ(read_all(r, 10),
            (std::vector<std::string>{std::string(8, 'a'), "!long:bbbbbbbb", "ok"}));
}

TEST(crlf_line_reader, limit_boundary_is_the_same_in_every_chunking) {
  const std::string stream = std::string(8, 'a') + "\r\n" + std::string(9, 'b') + "\r\nok\r\n";
  const std::vector<std::string> expected{std::string(8, 'a'), "!long:bbbbbbbb", "ok"};
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    EXPECT_EQ(read_in_chunks(stream, chunk, 10), expected) << "chunk " << chunk;
  }
}

// An over-long line keeps its first octets, whether it came whole or was discarded as it came,
// so the protocol can tell which command it was; a line after it starts a head of its own.
TEST(crlf_line_reader, an_over_long_line_keeps_its_head_in_every_chunking) {
  const std::string stream =
      "AUTH PLAIN " + std::string(30, 'Q') + "\r\nNOOP " + std::string(30, 'n') + "\r\nok\r\n";
  const std::vector<std::string> expected{"!long:AUTH PLA", "!long:NOOP nnn", "ok"};
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    EXPECT_EQ(read_in_chunks(stream, chunk, 20), expected) << "chunk " << chunk;
  }
}

TEST(crlf_line_reader, memory_stays_bounded_without_crlf) {
  crlf_line_reader r;
  for (int i = 0; i < 1000; ++i) {
    r.put(std::string(1000, 'x'));
    EXPECT_FALSE(r.next(512));
    EXPECT_LT(r.buffered(), 512U);
  }
  r.put("\r");
  EXPECT_FALSE(r.next(512));
  r.put("\nNOOP\r\n");
  EXPECT_EQ(read_all(r, 512), (std::vector<std::string>{"!long:xxxxxxxx", "NOOP"}));
}

TEST(crlf_line_reader, a_discarded_line_keeps_its_trailing_cr) {
  crlf_line_reader r;
  r.put(std::string(20, 'x') + "\r");
  EXPECT_FALSE(r.next(10));
  EXPECT_EQ(r.buffered(), 1U);
  r.put("\n");
  EXPECT_EQ(read_all(r, 10), std::vector<std::string>{"!long:xxxxxxxx"});
}

TEST(crlf_line_reader, clear_forgets_everything) {
  crlf_line_reader r;
  r.put(std::string(20, 'x'));
  EXPECT_FALSE(r.next(10));
  r.clear();
  r.put("ok\r\n");
  EXPECT_EQ(read_all(r, 10), std::vector<std::string>{"ok"});
}

}  // namespace
}  // namespace mail2sms::smtpd
