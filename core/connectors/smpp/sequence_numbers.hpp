// SMPP sequence numbers on one connection: a segment carries the number the dispatcher recorded
// for it before it was sent (below 0x40000000), the client numbers its own requests (bind,
// enquire_link, unbind, query_sm) from 0x40000000 up, and two outstanding requests never share one.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mail2sms::smpp {

inline constexpr std::uint32_t first_own_sequence = 0x40000000;
inline constexpr std::uint32_t last_own_sequence = 0x7FFFFFFF;  // SMPP allows up to 0x7FFFFFFF
inline constexpr std::size_t sequence_block = 256;  // numbers a claim gives one message (0007)

// The number segment `index` of a message is sent with, when the dispatcher gave the message
// `first` (0: it gave none, and then the client numbers the segment itself: 0 is returned; so
// also past the message's block, which a message of at most 255 parts never reaches).
constexpr std::uint32_t given_sequence(std::uint32_t first, std::size_t index) {
  if (first == 0 || index >= sequence_block) return 0;
  const auto number = static_cast<std::uint64_t>(first) + index;
  return number < first_own_sequence ? static_cast<std::uint32_t>(number) : 0;
}

// The client's own numbers: through its range and round again, skipping the ones still
// outstanding on the connection (`outstanding(n)` says whether n is).
class own_sequences {
 public:
  template <class Outstanding>
  std::uint32_t next(const Outstanding& outstanding) {
    do {
      last_ = (last_ < first_own_sequence || last_ >= last_own_sequence) ? first_own_sequence
                                                                         : last_ + 1;
    } while (outstanding(last_));
    return last_;
  }
  std::uint32_t last() const { return last_; }
  // Where the next number is counted from (tests).
  void continue_after(std::uint32_t n) { last_ = n; }

 private:
  std::uint32_t last_ = 0;
};

}  // namespace mail2sms::smpp
