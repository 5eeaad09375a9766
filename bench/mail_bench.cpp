// Micro-benchmarks of mail::extract_text(): a plain ASCII alert, a quoted-printable UTF-8 mail and
// a multipart/alternative mail (text part chosen over HTML); and the whole render (text, cleaning,
// segments) of a typical 2 KiB mail and of every mail in the corpus (tests/data/mail). Not run as a
// test.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/mail/mail_text.hpp"
#include "core/sms/sms.hpp"

namespace {

constexpr std::string_view plain_mail =
    "Return-Path: <nagios@monitor.example.com>\r\n"
    "From: Nagios <nagios@monitor.example.com>\r\n"
    "To: +27821234567@sms.example.com\r\n"
    "Subject: PROBLEM: db1 is DOWN\r\n"
    "Message-ID: <20240301101500.1234@monitor.example.com>\r\n"
    "Date: Fri, 1 Mar 2024 10:15:00 +0200\r\n"
    "\r\n"
    "Host: db1\r\n"
    "State: DOWN\r\n"
    "Address: 10.0.0.5\r\n"
    "Info: PING CRITICAL - Packet loss = 100%\r\n";

constexpr std::string_view qp_utf8_mail =
    "From: alice@example.com\r\n"
    "Subject: =?UTF-8?Q?Caf=C3=A9_ouvert?=\r\n"
    "Message-ID: <qp@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Caf=C3=A9 ouvert jusqu'=C3=A0 22h. Cette ligne est tr=C3=A8s longue et elle=\r\n"
    " continue apr=C3=A8s un saut doux.\r\n"
    "Deux espaces cod=C3=A9s=20=20\r\n"
    "Fin =3D termin=C3=A9.\r\n";

constexpr std::string_view multipart_alternative_mail =
    "From: Bob <bob@example.com>\r\n"
    "Subject: Lunch?\r\n"
    "Message-ID: <alt@example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"=-alt-boundary-1\"\r\n"
    "\r\n"
    "This is a multi-part message in MIME format.\r\n"
    "--=-alt-boundary-1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Lunch at 12:30 at Caf=C3=A9 Nero?\r\n"
    "\r\n"
    "-- Bob\r\n"
    "--=-alt-boundary-1\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<html><body><p>Lunch at <b>12:30</b> at Caf=C3=A9 Nero?</p></body></html>\r\n"
    "--=-alt-boundary-1--\r\n";

void extract(benchmark::State& state, std::string_view mail) {
  if (!mail2sms::mail::extract_text(mail)) {
    state.SkipWithError("extract_text refused the sample mail");
    return;
  }
  for (auto _ : state) {
    auto text = mail2sms::mail::extract_text(mail);
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * mail.size()));
}

void bm_extract_plain(benchmark::State& state) { extract(state, plain_mail); }
void bm_extract_qp_utf8(benchmark::State& state) { extract(state, qp_utf8_mail); }
void bm_extract_multipart_alternative(benchmark::State& state) {
  extract(state, multipart_alternative_mail);
}

// A typical person's mail of about 2 KiB: Outlook-style multipart/alternative, QP, a reply with a
// quoted Outlook block and a signature, the HTML part beside it. The whole render: extract, clean,
// subject policy, encode into segments.
std::string typical_2k_mail() {
  std::string plain =
      "Hi team,=0D=0A=0D=0AThe deployment of release 4.2 is moved to Thursday 14:00 =E2=80=93 "
      "please make sure=0D=0Ayour services are drained by 13:45. Ping me if that doesn=E2=80=99t "
      "work.=0D=0A=0D=0AThanks,=0D=0APeter=0D=0A=0D=0A-- =0D=0APeter Smith | Release Manager=0D=0A"
      "=0D=0A________________________________=0D=0AFrom: Mary Jones=0D=0ASent: Monday, March 4, "
      "2024 9:01 AM=0D=0ATo: Release team=0D=0ASubject: Release 4.2=0D=0A=0D=0A";
  for (int i = 0; i < 6; ++i)
    plain += "When is 4.2 going out? We need a date for the customer. =\r\n";
  std::string html = "<html><body><div class=3DWordSection1>";
  for (int i = 0; i < 8; ++i)
    html += "<p class=3DMsoNormal>The deployment of release 4.2 is moved.</p>=\r\n";
  html += "</div></body></html>";
  return "From: \"Smith, Peter\" <peter.smith@corp.example.com>\r\n"
         "To: <+27821234567@sms.example.com>\r\nSubject: RE: Release 4.2\r\n"
         "Message-ID: <AM0PR01MB1234@AM0PR01MB1234.eurprd01.prod.exchangelabs.com>\r\n"
         "Date: Mon, 4 Mar 2024 09:12:33 +0000\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/alternative; boundary=\"_000_AM0PR01_\"\r\n\r\n"
         "--_000_AM0PR01_\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
         plain +
         "\r\n--_000_AM0PR01_\r\nContent-Type: text/html; charset=\"utf-8\"\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
         html + "\r\n--_000_AM0PR01_--\r\n";
}

// What acceptance does with a mail: text, subject policy, segments.
std::size_t render(std::string_view mail) {
  const auto text = mail2sms::mail::extract_text(mail);
  if (!text) return 0;
  return mail2sms::sms::encode(mail2sms::mail::sms_text(*text)).segments.size();
}

// The render of one mail, again and again; its size and part count as counters.
void render_one(benchmark::State& state, const std::string& mail) {
  state.counters["mail_octets"] = static_cast<double>(mail.size());
  state.counters["parts"] = static_cast<double>(render(mail));
  for (auto _ : state) benchmark::DoNotOptimize(render(mail));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * mail.size()));
}

void bm_render_typical_2k(benchmark::State& state) { render_one(state, typical_2k_mail()); }

// What Postfix's smtp-source -l 1024 sends (bench/smtp_compare.py's load): four header fields and
// 1,024 octets of numbered lines of X. The render is what the intake does with each of those mails.
std::string smtp_source_1k_mail() {
  std::string mail =
      "From: <load@example.com>\r\nTo: <+27821234567@sms.example.com>\r\n"
      "Date: Mon, 30 Nov 2026 00:16:07 +0000 (UTC)\r\nMessage-Id: <721e.0003.0000@vm>\r\n\r\n";
  std::size_t left = 1024;
  for (int line = 1; left > 0; ++line) {
    const std::size_t n = std::min<std::size_t>(left, 80);
    std::string text(n - 2, 'X');
    if (n == 80) text[0] = static_cast<char>('0' + line % 10);
    mail += text + "\r\n";
    left -= n;
  }
  return mail;
}

void bm_render_smtp_source_1k(benchmark::State& state) { render_one(state, smtp_source_1k_mail()); }

std::vector<std::string> corpus() {
  std::vector<std::string> mails;
  for (const auto& entry : std::filesystem::directory_iterator(MAIL2SMS_CORPUS_DIR)) {
    if (entry.path().extension() != ".eml") continue;
    std::ifstream file(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << file.rdbuf();
    mails.push_back(bytes.str());
  }
  return mails;
}

// Every mail of tests/data/mail rendered once per iteration; the time per mail is the mean.
void bm_render_corpus(benchmark::State& state) {
  const std::vector<std::string> mails = corpus();
  std::size_t octets = 0;
  for (const auto& m : mails) octets += m.size();
  for (auto _ : state) {
    for (const auto& m : mails) benchmark::DoNotOptimize(render(m));
  }
  state.counters["mails"] = static_cast<double>(mails.size());
  state.counters["per_mail"] =
      benchmark::Counter(static_cast<double>(state.iterations() * mails.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * octets));
}

BENCHMARK(bm_extract_plain);
BENCHMARK(bm_extract_qp_utf8);
BENCHMARK(bm_extract_multipart_alternative);
BENCHMARK(bm_render_typical_2k);
BENCHMARK(bm_render_smtp_source_1k);
BENCHMARK(bm_render_corpus);

}  // namespace
