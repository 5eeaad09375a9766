// core/mail html_to_text: HTML mail as the lines a person sees.
#include "core/mail/html_text.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/mail/body_layout.hpp"

namespace mail2sms::mail {
namespace {

std::string text(std::string_view html) { return normalise_body(html_to_text(html).value_or("?")); }

TEST(html_to_text, blocks_are_lines_and_paragraphs) {
  EXPECT_EQ(text("<h1>Alert</h1><p>db1 is <b>DOWN</b></p><div>since 10:00</div><div>by ops</div>"),
            "Alert\n\ndb1 is DOWN\n\nsince 10:00\nby ops");
  EXPECT_EQ(text("one<br>two<br/>three"), "one\ntwo\nthree");
  EXPECT_EQ(text("<ul><li>a</li><li>b</li></ul>after"), "a\nb\n\nafter");
}

TEST(html_to_text, scripts_styles_and_head_are_dropped) {
  EXPECT_EQ(text("<html><head><title>T</title><style>p{color:red}</style></head>"
                 "<body><script>alert(1)</script><p>visible</p><!-- hidden --></body></html>"),
            "visible");
}

TEST(html_to_text, entities_are_decoded_and_nbsp_is_a_space) {
  EXPECT_EQ(text("<p>Fish &amp; chips&nbsp;for &euro;5 &lt;now&gt; &#8211; &#x263A;</p>"),
            "Fish & chips for €5 <now> – ☺");
}

TEST(html_to_text, words_are_never_glued) {
  EXPECT_EQ(text("<table><tr><td>Host</td><td>db1</td></tr><tr><th>State</th><td>DOWN</td></tr>"
                 "</table>"),
            "Host db1\nState DOWN");
  EXPECT_EQ(text("<div>end</div><div>start</div>"), "end\nstart");
  EXPECT_EQ(text("<span>Bold</span><span>er</span> and <b>Hel</b>lo"), "Bolder and Hello");
  EXPECT_EQ(text("a\n\n   b\t c"), "a b c");
}

TEST(html_to_text, links_keep_their_text_and_bare_links_their_address) {
  EXPECT_EQ(text("<p>See <a href=\"https://grafana.example.com/d/1\">the dashboard</a>.</p>"),
            "See the dashboard.");
  EXPECT_EQ(text("<p>Open<a href=\"https://example.com/x\"><img src=x></a>now</p>"),
            "Open https://example.com/x now");
}

TEST(html_to_text, pre_keeps_its_lines) {
  EXPECT_EQ(text("<pre>line 1\nline 2</pre>"), "line 1\nline 2");
}

TEST(html_to_text, broken_html_gives_its_text) {
  EXPECT_EQ(text("<p>unclosed <b>bold <i>both</p><p>next"), "unclosed bold both\n\nnext");
  EXPECT_EQ(text(""), "");
}

TEST(html_to_text, documents_with_too_many_tags_are_not_parsed) {
  std::string html;
  for (std::size_t i = 0; i <= max_html_tags; ++i) html += "<div>";
  EXPECT_FALSE(html_to_text(html).has_value());
  html.resize(1000 * 5);
  EXPECT_TRUE(html_to_text(html).has_value());
}

TEST(html_to_text, text_nested_deeper_than_any_mail_is_still_read) {
  // Nothing cuts the tree at a depth: 4,000 nested elements (16,000 of max_html_tags' 20,000
  // tags), with text at every level and a link without text at the bottom. The walk used to stop
  // at 256 levels and drop what was below without a word.
  std::string html;
  for (int i = 0; i < 4000; ++i) html += "<div><span>" + std::to_string(i) + "</span>";
  html += "<a href=\"https://example.com/deep\"><img src=x></a><pre>a\n b</pre>";
  for (int i = 0; i < 4000; ++i) html += "</div>";
  const std::string t = text(html);
  EXPECT_TRUE(t.starts_with("0\n1\n2\n")) << t.substr(0, 60);
  EXPECT_TRUE(t.ends_with("\n3999 https://example.com/deep\n\na\nb")) << t.substr(t.size() - 60);
  EXPECT_EQ(std::count(t.begin(), t.end(), '\n'), 4002);
}

// Whether a link has text is found once for the whole tree: links nested through marker
// elements (<marquee>) are each asked, and a link's subtree is no longer read once per link above
// it (10,000 such levels took seconds; see docs/PERFORMANCE.md for the figures).
TEST(html_to_text, nested_links_show_their_text_or_their_address) {
  std::string html;
  for (int i = 0; i < 3000; ++i) html += "<a href='https://x.example/'><marquee>";
  html += "hello";
  EXPECT_EQ(text(html), "hello");
  EXPECT_EQ(text("<a href='https://a.example/'><marquee><a href='https://b.example/'><img></a>"
                 "text</marquee></a>"),
            "https://b.example/ text");
}

TEST(html_to_text, formatting_copied_into_every_paragraph_is_bounded) {
  // 1,000 distinct open <b> elements, then 1,000 paragraphs: the parser copies every one of them
  // into each paragraph (a million elements from 2,000 tags, about 0.4 GB). Refused once its
  // memory passes max_html_parse_memory, and everything it held is given back.
  std::string bomb = "<p>";
  for (int i = 0; i < 1000; ++i) bomb += "<b id=" + std::to_string(i) + ">";
  for (int i = 0; i < 1000; ++i) bomb += "<p>x";
  EXPECT_FALSE(html_to_text(bomb).has_value());
  // The same number of tags, closed as a person's mail closes them: converted.
  std::string mail;
  for (int i = 0; i < 1000; ++i) mail += "<p><b id=" + std::to_string(i) + ">x</b>";
  const auto text = html_to_text(mail);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(std::count(text->begin(), text->end(), 'x'), 1000);
}

TEST(html_declared_charset, a_declared_utf_16_is_read_as_utf_8) {
  EXPECT_EQ(html_declared_charset("<meta charset=\"utf-16\">"), "utf-8");
  EXPECT_EQ(html_declared_charset("<meta charset=UTF-16LE>"), "utf-8");
  EXPECT_EQ(html_declared_charset(
                "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=unicode\">"),
            "utf-8");
}

TEST(html_declared_charset, meta_tags) {
  EXPECT_EQ(html_declared_charset("<meta charset=\"windows-1251\">"), "windows-1251");
  EXPECT_EQ(html_declared_charset(
                "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">"),
            "iso-8859-1");
  EXPECT_EQ(html_declared_charset("<p>charset=utf-8</p>"), "");
}

}  // namespace
}  // namespace mail2sms::mail
