// The http connector's pure parts: templates and their escaping, URLs, settings checks, and the
// requests a message becomes in whole and per-segment mode.
#include <gtest/gtest.h>

#include "core/connectors/http/request.hpp"
#include "core/sms/sms.hpp"

namespace mail2sms::http {
namespace {

message_fields sample() {
  message_fields v;
  v.to = "+27821234567";
  v.from = "Alerts";
  v.text = "Disk 95% full & \"rising\"\nsee: /var?x=1";
  v.coding = "0";
  v.udh = std::string("\x05\x00\x03\xa7\x02\x01", 6);
  v.payload_hex = "48";
  v.message_id = "Q1";
  v.part = 1;
  v.parts = 2;
  return v;
}

std::string rendered(std::string_view text, escaping how) {
  auto t = request_template::parse(text, how);
  EXPECT_TRUE(t.has_value()) << t.error();
  return t ? t->render(sample()) : std::string();
}

TEST(http_template, url_escaping_percent_encodes_every_reserved_octet) {
  EXPECT_EQ(
      rendered("to={to}&text={text}", escaping::url),
      "to=%2B27821234567&text=Disk%2095%25%20full%20%26%20%22rising%22%0Asee%3A%20%2Fvar%3Fx%3D1");
  EXPECT_EQ(percent_encode("ü~-._"), "%C3%BC~-._");
  EXPECT_EQ(rendered("udh={udh}", escaping::url), "udh=%05%00%03%A7%02%01");
}

TEST(http_template, json_escaping_keeps_the_document_valid) {
  EXPECT_EQ(rendered("{\"to\":\"{to_digits}\",\"text\":\"{text}\"}", escaping::json),
            "{\"to\":\"27821234567\",\"text\":\"Disk 95% full & \\\"rising\\\"\\nsee: /var?x=1\"}");
  EXPECT_EQ(json_escape(std::string("a\x01\\b\tü", 7)), "a\\u0001\\\\b\\tü");
}

TEST(http_template, none_escaping_is_verbatim) {
  EXPECT_EQ(rendered("{from} {message_id} {part}/{parts} {coding} {udh_hex} {payload_hex}",
                     escaping::none),
            "Alerts Q1 1/2 0 050003a70201 48");
}

TEST(http_template, braces_that_are_not_placeholders_are_literal) {
  EXPECT_EQ(rendered("{\"a\":{\"b\":1}} {} {X} {", escaping::json), "{\"a\":{\"b\":1}} {} {X} {");
}

TEST(http_template, unknown_placeholders_and_raw_udh_outside_urls_are_refused) {
  const auto unknown = request_template::parse("text={txt}", escaping::url);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().find("unknown placeholder {txt}"), std::string::npos)
      << unknown.error();
  EXPECT_NE(unknown.error().find("{text}"), std::string::npos) << "lists the known ones";
  const auto udh = request_template::parse("{\"udh\":\"{udh}\"}", escaping::json);
  ASSERT_FALSE(udh.has_value());
  EXPECT_NE(udh.error().find("{udh_hex}"), std::string::npos) << udh.error();
}

TEST(http_url, parts_and_defaults) {
  auto u = parse_url("http://sms.example.net/cgi-bin/sendsms?to={to}");
  ASSERT_TRUE(u.has_value());
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "sms.example.net");
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/cgi-bin/sendsms?to={to}");
  u = parse_url("https://[::1]:8443?x=1");
  ASSERT_TRUE(u.has_value());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/?x=1");
  EXPECT_EQ(u->authority(), "[::1]:8443");
  u = parse_url("https://api.example.com");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/");
}

TEST(http_url, refusals_say_why) {
  const auto error_of = [](std::string_view url) {
    auto u = parse_url(url);
    EXPECT_FALSE(u.has_value()) << url;
    return u ? std::string() : u.error();
  };
  EXPECT_NE(error_of("ftp://x/").find("http:// or https://"), std::string::npos);
  EXPECT_NE(error_of("http://user:pw@x/").find("no user:password@"), std::string::npos);
  EXPECT_NE(error_of("http://{to}.x/").find("not in the host"), std::string::npos);
  EXPECT_NE(error_of("http://x:99999/").find("not in 1..65535"), std::string::npos);
  EXPECT_NE(error_of("http://x:80a/").find("bad port"), std::string::npos);
  EXPECT_NE(error_of("http://x:/").find("empty port"), std::string::npos);
  EXPECT_NE(error_of("http:///p").find("no host"), std::string::npos);
  EXPECT_NE(error_of("http://x/#frag").find("fragment"), std::string::npos);
}

settings kannel_like() {
  settings s;
  s.name = "kannel";
  s.method = "GET";
  s.url =
      "http://127.0.0.1:13013/cgi-bin/"
      "sendsms?user=u&pass=p%26w&to={to}&text={text}&coding={coding}";
  s.body_format = "form";
  s.coding_values = {"0", "2"};
  s.default_source = "mail2sms";
  return s;
}

TEST(http_settings, compile_refuses_what_cannot_work) {
  const auto key_of = [](settings s) {
    auto c = compile(s);
    EXPECT_FALSE(c.has_value());
    return c ? std::string() : c.error().key + ": " + c.error().message;
  };
  auto s = kannel_like();
  s.method = "DELETE";
  EXPECT_NE(key_of(s).find("method:"), std::string::npos);
  s = kannel_like();
  s.body = "text={text}";
  EXPECT_NE(key_of(s).find("body: a GET request has no body"), std::string::npos);
  s = kannel_like();
  s.headers = {"Host: evil"};
  EXPECT_NE(key_of(s).find("headers: Host is set by the connector"), std::string::npos);
  s.headers = {"X Bad: 1"};
  EXPECT_NE(key_of(s).find("headers: header 1 of 1: expected"), std::string::npos);
  EXPECT_EQ(key_of(s).find("Bad"), std::string::npos);  // the line is not quoted
  s = kannel_like();
  s.body_format = "xml";
  EXPECT_NE(key_of(s).find("body_format:"), std::string::npos);
  s = kannel_like();
  s.message_id_pattern = "[";
  EXPECT_NE(key_of(s).find("message_id_pattern: not a valid regular expression"),
            std::string::npos);
  s = kannel_like();
  s.success_status = {42};
  EXPECT_NE(key_of(s).find("success_status:"), std::string::npos);
}

core::queued_message message_of(const std::string& text) {
  core::queued_message m;
  m.id = 7;
  m.queue_id = "Q7";
  m.recipient = "+27821234567";
  const auto encoded = sms::encode(text, {.reference = 0xa7});
  m.coding = encoded.coding;
  m.segments = encoded.segments;
  return m;
}

TEST(http_render, whole_mode_sends_the_whole_text_once) {
  const std::string text(200, 'x');
  const auto c = compile(kannel_like());
  ASSERT_TRUE(c.has_value()) << c.error().message;
  const auto requests = render(*c, message_of(text));
  ASSERT_TRUE(requests.has_value()) << requests.error();
  ASSERT_EQ(requests->size(), 1u);
  const auto& r = requests->front();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target,
            "/cgi-bin/sendsms?user=u&pass=p%26w&to=%2B27821234567&text=" + text + "&coding=0");
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.headers.empty()) << "no Content-Type without a body";
}

TEST(http_render, segment_mode_sends_each_part_with_its_udh) {
  auto s = kannel_like();
  s.method = "POST";
  s.url = "http://127.0.0.1/send";
  s.body = "to={to_digits}&from={from}&udh={udh}&text={text}&n={part}/{parts}&c={coding}";
  s.multipart = "segments";
  s.headers = {"Authorization: Bearer {message_id}"};
  const auto c = compile(s);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  // 212 septets (the euro sign is an escape pair): 153 + 59.
  const std::string text = std::string(150, 'a') + "€" + std::string(60, 'b');
  const auto requests = render(*c, message_of(text));
  ASSERT_TRUE(requests.has_value()) << requests.error();
  ASSERT_EQ(requests->size(), 2u);
  const auto& first = (*requests)[0];
  EXPECT_EQ(first.body, "to=27821234567&from=mail2sms&udh=%05%00%03%A7%02%01&text=" +
                            std::string(150, 'a') + "%E2%82%AC" + "b&n=1/2&c=0");
  EXPECT_EQ((*requests)[1].body, "to=27821234567&from=mail2sms&udh=%05%00%03%A7%02%02&text=" +
                                     std::string(59, 'b') + "&n=2/2&c=0");
  ASSERT_EQ(first.headers.size(), 2u);
  EXPECT_EQ(first.headers[0],
            std::make_pair(std::string("Authorization"), std::string("Bearer Q7")));
  EXPECT_EQ(first.headers[1], std::make_pair(std::string("Content-Type"),
                                             std::string("application/x-www-form-urlencoded")));
}

TEST(http_render, ucs2_uses_the_second_coding_value_and_the_account_sender) {
  auto s = kannel_like();
  auto m = message_of("Привет");
  m.sender_id = "Acme";
  s.url = "http://x/?from={from}&c={coding}&t={text}";
  const auto c2 = compile(s);
  ASSERT_TRUE(c2.has_value());
  const auto requests = render(*c2, m);
  ASSERT_TRUE(requests.has_value());
  EXPECT_EQ(requests->front().target, "/?from=Acme&c=2&t=%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82");
}

TEST(http_render, a_header_the_text_would_break_fails_the_message) {
  auto s = kannel_like();
  s.headers = {"X-Text: {text}"};
  const auto c = compile(s);
  ASSERT_TRUE(c.has_value());
  const auto requests = render(*c, message_of("two\nlines"));
  ASSERT_FALSE(requests.has_value());
  EXPECT_NE(requests.error().find("line break"), std::string::npos);
}

TEST(http_render, a_content_type_header_replaces_the_default) {
  auto s = kannel_like();
  s.method = "POST";
  s.body = "{\"t\":\"{text}\"}";
  s.body_format = "json";
  s.headers = {"content-type: application/vnd.sms+json"};
  const auto c = compile(s);
  ASSERT_TRUE(c.has_value());
  const auto requests = render(*c, message_of("hi \"you\""));
  ASSERT_TRUE(requests.has_value());
  ASSERT_EQ(requests->front().headers.size(), 1u);
  EXPECT_EQ(requests->front().headers[0].second, "application/vnd.sms+json");
  EXPECT_EQ(requests->front().body, "{\"t\":\"hi \\\"you\\\"\"}");
}

}  // namespace
}  // namespace mail2sms::http
