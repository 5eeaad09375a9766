// Micro-benchmarks of mail::extract_text(): a plain ASCII alert, a quoted-printable UTF-8 mail and a
// multipart/alternative mail (text part chosen over HTML). Not run as a test.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string_view>

#include "core/mail/mail_text.hpp"

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

BENCHMARK(bm_extract_plain);
BENCHMARK(bm_extract_qp_utf8);
BENCHMARK(bm_extract_multipart_alternative);

}  // namespace
