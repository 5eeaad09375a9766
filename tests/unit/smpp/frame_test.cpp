// The frame parser as a reader of a TCP stream: PDUs split at every byte offset come out whole and
// in order; malformed input is an error value, never a crash or a read past the buffer (run this
// under ASan: every buffer here is exactly as long as its content).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "core/connectors/smpp/command_status.hpp"
#include "core/connectors/smpp/pdu.hpp"

namespace mail2sms::smpp {
namespace {

using bytes = std::vector<std::uint8_t>;

std::vector<pdu> sample_pdus() {
  submit_sm sm;
  sm.source_addr = "ACME";
  sm.destination_addr = "27821234567";
  sm.short_message = {'h', 'e', 'l', 'l', 'o'};
  set_sar(sm.tlvs, 7, 2, 1);
  deliver_sm d;
  d.source_addr = "27821234567";
  set_receipted_message_id(d.tlvs, "abc");
  return {
      {command_id::bind_transceiver, 0, 1, bind_body{"id", "pw", "", 0x34, 0, 0, ""}},
      {command_id::bind_transceiver_resp, 0, 1, bind_resp{"SMSC", {}}},
      {command_id::enquire_link, 0, 2, std::monostate{}},
      {command_id::submit_sm, 0, 3, sm},
      {command_id::submit_sm_resp, 0, 3, submit_sm_resp{"00000001"}},
      {command_id::deliver_sm, 0, 4, d},
      {command_id::deliver_sm_resp, 0, 4, deliver_sm_resp{}},
      {command_id::unbind, 0, 5, std::monostate{}},
  };
}

bytes stream_of(const std::vector<pdu>& pdus) {
  bytes out;
  for (const auto& p : pdus) {
    auto wire = encode(p);
    EXPECT_TRUE(wire.has_value());
    out.insert(out.end(), wire->begin(), wire->end());
  }
  return out;
}

// Feeds `chunks` into a growing buffer the way a connection does and collects every PDU.
std::vector<pdu> read_all(const std::vector<bytes>& chunks) {
  std::vector<pdu> out;
  bytes buffer;
  for (const auto& chunk : chunks) {
    buffer.insert(buffer.end(), chunk.begin(), chunk.end());
    for (;;) {
      const bytes exact(buffer.begin(),
                        buffer.end());  // no slack capacity for overreads to hide in
      const auto r = parse(exact);
      if (r.status == parse_status::need_more) break;
      EXPECT_EQ(r.status, parse_status::ok) << r.error;
      if (r.status != parse_status::ok) return out;
      out.push_back(r.message);
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(r.consumed));
    }
  }
  EXPECT_TRUE(buffer.empty());
  return out;
}

TEST(SmppFrame, StreamSplitAtEveryOffsetYieldsEveryPdu) {
  const auto pdus = sample_pdus();
  const auto stream = stream_of(pdus);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    const std::vector<bytes> chunks{
        bytes(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(cut)),
        bytes(stream.begin() + static_cast<std::ptrdiff_t>(cut), stream.end())};
    EXPECT_EQ(read_all(chunks), pdus) << "split at " << cut;
  }
}

TEST(SmppFrame, StreamFedOneByteAtATime) {
  const auto pdus = sample_pdus();
  const auto stream = stream_of(pdus);
  std::vector<bytes> chunks;
  for (const auto b : stream) chunks.push_back({b});
  EXPECT_EQ(read_all(chunks), pdus);
}

TEST(SmppFrame, NeedsMoreUntilTheWholePduIsThere) {
  const auto wire = *encode({command_id::enquire_link, 0, 1, std::monostate{}});
  for (std::size_t n = 0; n < wire.size(); ++n) {
    const bytes part(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
    const auto r = parse(part);
    EXPECT_EQ(r.status, parse_status::need_more) << n;
    EXPECT_EQ(r.consumed, 0U);
  }
}

bytes header(std::uint32_t length, std::uint32_t command, std::uint32_t sequence = 1) {
  bytes out;
  for (const auto v : {length, command, 0U, sequence}) {
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
  return out;
}

TEST(SmppFrame, ImpossibleLengthsAreBadFrames) {
  for (const std::uint32_t length : {0U, 1U, 15U, 64U * 1024U + 1U, 0xFFFFFFFFU}) {
    const auto r = parse(header(length, 0x15));
    EXPECT_EQ(r.status, parse_status::bad_frame) << length;
    EXPECT_EQ(r.error_status, status::invalid_cmd_length);
  }
  // Known from the first four octets: a peer announcing 4 GiB is refused before it sends them.
  const bytes just_length{0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_EQ(parse(just_length).status, parse_status::bad_frame);
  EXPECT_EQ(parse(header(16, 0x15)).status, parse_status::ok);
  EXPECT_EQ(parse(header(100, 0x15), 64).status, parse_status::bad_frame);  // caller's maximum
}

TEST(SmppFrame, CStringWithoutNulIsABadBody) {
  auto wire = header(16 + 5, 0x09, 77);  // bind_transceiver whose system_id never ends
  for (const char c : {'a', 'b', 'c', 'd', 'e'}) wire.push_back(static_cast<std::uint8_t>(c));
  const auto r = parse(wire);
  EXPECT_EQ(r.status, parse_status::bad_body);
  EXPECT_EQ(r.consumed, wire.size());
  EXPECT_EQ(r.message.sequence, 77U);  // so the peer can be answered with generic_nack
  EXPECT_EQ(r.message.command, command_id::bind_transceiver);
}

TEST(SmppFrame, CStringLongerThanItsMaximumIsABadBody) {
  bytes body(20, 'x');  // system_id may be 15 characters
  body.push_back(0);
  body.insert(body.end(), {0, 0, 0x34, 0, 0, 0});
  auto wire = header(static_cast<std::uint32_t>(16 + body.size()), 0x09);
  wire.insert(wire.end(), body.begin(), body.end());
  EXPECT_EQ(parse(wire).status, parse_status::bad_body);
}

submit_sm minimal_submit() {
  submit_sm sm;
  sm.destination_addr = "1";
  sm.short_message = {'x'};
  return sm;
}

TEST(SmppFrame, TlvOverrunningThePduIsABadBody) {
  auto wire = *encode({command_id::submit_sm, 0, 1, minimal_submit()});
  const bytes tlv{0x04, 0x24, 0x00, 0x10, 'a', 'b'};  // message_payload claims 16 octets, has 2
  wire.insert(wire.end(), tlv.begin(), tlv.end());
  wire[3] = static_cast<std::uint8_t>(wire.size());
  const auto r = parse(wire);
  EXPECT_EQ(r.status, parse_status::bad_body);
  EXPECT_EQ(r.error_status, status::invalid_tlv_length);
  EXPECT_EQ(r.consumed, wire.size());
}

TEST(SmppFrame, TruncatedTlvHeaderIsABadBody) {
  auto wire = *encode({command_id::submit_sm, 0, 1, minimal_submit()});
  wire.insert(wire.end(), {0x04, 0x24, 0x00});
  wire[3] = static_cast<std::uint8_t>(wire.size());
  EXPECT_EQ(parse(wire).status, parse_status::bad_body);
}

TEST(SmppFrame, SmLengthPastTheEndIsABadBody) {
  auto wire = *encode({command_id::submit_sm, 0, 1, minimal_submit()});
  wire[wire.size() - 2] = 200;  // sm_length says 200, one octet follows
  EXPECT_EQ(parse(wire).status, parse_status::bad_body);
  wire[wire.size() - 2] = 255;  // above SMPP's 254
  EXPECT_EQ(parse(wire).status, parse_status::bad_body);
}

// A valid PDU cut short anywhere inside its body, with command_length claiming the cut size:
// every field boundary and mid-field position must give bad_body or ok, never a crash.
TEST(SmppFrame, BodiesCutAtEveryOffset) {
  for (const auto& p : sample_pdus()) {
    const auto wire = *encode(p);
    for (std::size_t n = header_length; n < wire.size(); ++n) {
      bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
      cut[2] = static_cast<std::uint8_t>(n >> 8);
      cut[3] = static_cast<std::uint8_t>(n);
      const auto r = parse(cut);
      EXPECT_TRUE(r.status == parse_status::bad_body || r.status == parse_status::ok)
          << to_string(p.command) << " cut at " << n;
      EXPECT_EQ(r.consumed, n);
    }
  }
}

TEST(SmppFrame, RandomBytesNeverCrash) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> octet(0, 255);
  std::uniform_int_distribution<std::size_t> size(0, 300);
  for (int i = 0; i < 20000; ++i) {
    bytes junk(size(rng));
    for (auto& b : junk) b = static_cast<std::uint8_t>(octet(rng));
    if (junk.size() >= 8 && i % 2 == 0) {  // make half of them plausible frames
      junk[0] = 0;
      junk[1] = 0;
      junk[2] = static_cast<std::uint8_t>(junk.size() >> 8);
      junk[3] = static_cast<std::uint8_t>(junk.size());
      junk[4] = i % 4 == 0 ? 0x00 : 0x80;
      junk[5] = 0;
      junk[6] = 0;
      junk[7] = static_cast<std::uint8_t>(std::array{0x01, 0x02, 0x04, 0x05, 0x09, 0x15}[i % 6]);
    }
    const auto r = parse(junk);
    EXPECT_LE(r.consumed, junk.size());
  }
}

}  // namespace
}  // namespace mail2sms::smpp
