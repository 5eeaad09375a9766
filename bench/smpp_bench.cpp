// Micro-benchmarks of the SMPP 3.4 codec: encode and parse of a submit_sm carrying one part of a
// concatenated GSM message (UDH + 153 septets), as the client sends and the simulator reads it.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <vector>

#include "core/connectors/smpp/pdu.hpp"

namespace {

using namespace mail2sms::smpp;

pdu sample_submit_sm() {
  submit_sm sm;
  sm.source_addr_ton = 5;
  sm.source_addr = "MAIL2SMS";
  sm.dest_addr_ton = 1;
  sm.dest_addr_npi = 1;
  sm.destination_addr = "27821234567";
  sm.esm_class = 0x40;  // UDHI
  sm.registered_delivery = 1;
  sm.short_message = {0x05, 0x00, 0x03, 0x2A, 0x05, 0x01};
  for (int i = 0; i < 153; ++i) sm.short_message.push_back(static_cast<std::uint8_t>('a' + i % 26));
  return {command_id::submit_sm, 0, 4711, sm};
}

void bm_smpp_encode_submit_sm(benchmark::State& state) {
  const pdu message = sample_submit_sm();
  for (auto _ : state) {
    auto bytes = encode(message);
    benchmark::DoNotOptimize(bytes);
  }
}

void bm_smpp_parse_submit_sm(benchmark::State& state) {
  const auto bytes = encode(sample_submit_sm());
  if (!bytes) {
    state.SkipWithError("encode refused the sample submit_sm");
    return;
  }
  for (auto _ : state) {
    auto parsed = parse(std::span<const std::uint8_t>(*bytes));
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes->size()));
}

void bm_smpp_encode_and_parse_submit_sm(benchmark::State& state) {
  const pdu message = sample_submit_sm();
  if (auto check = encode(message); !check || parse(*check).message != message) {
    state.SkipWithError("the sample submit_sm does not survive a round trip");
    return;
  }
  for (auto _ : state) {
    auto bytes = encode(message);
    auto parsed = parse(std::span<const std::uint8_t>(*bytes));
    benchmark::DoNotOptimize(parsed);
  }
}

BENCHMARK(bm_smpp_encode_submit_sm);
BENCHMARK(bm_smpp_parse_submit_sm);
BENCHMARK(bm_smpp_encode_and_parse_submit_sm);

}  // namespace
