// Micro-benchmarks of sms::encode(): a one-part GSM text, a five-part GSM text with escape pairs,
// and a multipart UCS-2 text with surrogate pairs. Not run as a test; benchmark::benchmark_main
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

BENCHMARK(bm_encode_gsm_one_part);
BENCHMARK(bm_encode_gsm_five_parts);
BENCHMARK(bm_encode_ucs2);

}  // namespace
