// Micro-benchmarks of sms::encode(): a one-part GSM text, a five-part GSM text with escape pairs,
// a multipart UCS-2 text with surrogate pairs, and throughput on long GSM, UCS-2, emoji (grapheme
// breaks) and smart-GSM texts. Not run as a test; benchmark::benchmark_main
// supplies main().
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/sms/sms.hpp"

namespace {

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

void encode_text(benchmark::State& state, const std::string& text) {
  // The part count shows in the output, so a changed sample text cannot go unnoticed.
  state.counters["parts"] = static_cast<double>(mail2sms::sms::encode(text).segments.size());
  for (auto _ : state) {
    auto message = mail2sms::sms::encode(text, {.reference = 42, .reference_16bit = false});
    benchmark::DoNotOptimize(message);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void bm_encode_gsm_one_part(benchmark::State& state) {
  encode_text(state, "PROBLEM: db1 load average 12.5 for 5m (threshold 8). Host: db1.example.com");
}

void bm_encode_gsm_five_parts(benchmark::State& state) {
  // 146 septets per line ([ and ] are escape pairs): 5 lines, 730 septets, 5 parts.
  const std::string line =
      repeat("Disk /var is 97% full on app3; rotate logs. ", 3) + "[ticket] abc";
  encode_text(state, repeat(line, 5));
}

void bm_encode_ucs2(benchmark::State& state) {
  encode_text(state,
              repeat("\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xF0\x9F\x9A\xA8 ", 30));
}

// Throughput on long texts (16 KiB of input each), the MB/s figure in docs/PERFORMANCE.md.
void bm_throughput_gsm(benchmark::State& state) {
  encode_text(state, repeat("Disk /var is 97% full on app3; rotate logs [now]. ", 330));
}

void bm_throughput_ucs2_cyrillic(benchmark::State& state) {
  encode_text(
      state,
      repeat("\xD0\x94\xD0\xB8\xD1\x81\xD0\xBA /var \xD0\xBF\xD0\xBE\xD0\xBB\xD0\xBE\xD0\xBD. ",
             830));
}

void bm_throughput_ucs2_emoji_graphemes(benchmark::State& state) {
  // ZWJ families, flags and skin tones: the ICU break iterator path.
  encode_text(state,
              repeat("ok \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 "
                     "\xF0\x9F\x87\xBF\xF0\x9F\x87\xA6 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBF ",
                     400));
}

void bm_throughput_smart_gsm(benchmark::State& state) {
  // Curly quotes and dashes replaced: the text ends up GSM.
  encode_text(state, repeat("It\xE2\x80\x99s \xE2\x80\x9C"
                            "done\xE2\x80\x9D \xE2\x80\x93 next step\xE2\x80\xA6 ",
                            500));
}

BENCHMARK(bm_encode_gsm_one_part);
BENCHMARK(bm_encode_gsm_five_parts);
BENCHMARK(bm_encode_ucs2);
BENCHMARK(bm_throughput_gsm);
BENCHMARK(bm_throughput_ucs2_cyrillic);
BENCHMARK(bm_throughput_ucs2_emoji_graphemes);
BENCHMARK(bm_throughput_smart_gsm);

}  // namespace
