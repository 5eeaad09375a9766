// SMPP sequence numbers: a segment's number from the one the dispatcher recorded, the client's own
// range, and what query_sm's answers mean.
#include <gtest/gtest.h>

#include <set>

#include "core/connectors/smpp/command_status.hpp"
#include "core/connectors/smpp/receipt.hpp"
#include "core/connectors/smpp/sequence_numbers.hpp"

namespace mail2sms::smpp {
namespace {

TEST(sequence_numbers, a_segment_is_sent_with_the_recorded_number_plus_its_index) {
  EXPECT_EQ(given_sequence(0x100, 0), 0x100U);
  EXPECT_EQ(given_sequence(0x100, 4), 0x104U);
  EXPECT_EQ(given_sequence(0x3FFFFF00, 255), 0x3FFFFFFFU);  // the last block's last part
  // None given: the client numbers it.
  EXPECT_EQ(given_sequence(0, 0), 0U);
  EXPECT_EQ(given_sequence(0, 3), 0U);
  // Never into the next message's block, nor the client's own range.
  EXPECT_EQ(given_sequence(0x100, 256), 0U);
  EXPECT_EQ(given_sequence(0x3FFFFF00, 256), 0U);
  EXPECT_EQ(given_sequence(0x3FFFFFFF, 1), 0U);
}

TEST(sequence_numbers, the_clients_own_numbers_stay_in_their_range_and_wrap) {
  own_sequences own;
  const auto none = [](std::uint32_t) { return false; };
  EXPECT_EQ(own.next(none), first_own_sequence);
  EXPECT_EQ(own.next(none), first_own_sequence + 1);
  own.continue_after(last_own_sequence - 1);
  EXPECT_EQ(own.next(none), last_own_sequence);
  EXPECT_EQ(own.next(none), first_own_sequence);  // round again, never 0 or a segment's number
}

TEST(sequence_numbers, an_outstanding_number_is_never_taken_twice) {
  own_sequences own;
  std::set<std::uint32_t> outstanding;
  const auto is_outstanding = [&](std::uint32_t n) { return outstanding.contains(n); };
  for (int i = 0; i < 5; ++i) outstanding.insert(own.next(is_outstanding));
  EXPECT_EQ(outstanding.size(), 5U);
  // Coming round to numbers still awaiting their responses skips them.
  own.continue_after(last_own_sequence);
  outstanding.erase(first_own_sequence + 2);
  EXPECT_EQ(own.next(is_outstanding), first_own_sequence + 2);
  EXPECT_EQ(own.next(is_outstanding), first_own_sequence + 5);
}

pdu query_answer(std::uint8_t state, std::uint8_t error = 0) {
  return {command_id::query_sm_resp, status::ok, 0x40000001,
          query_sm_resp{"abc", "261129020000000+", state, error}};
}

TEST(query_answers, every_message_state_maps_to_the_receipt_state_it_stands_for) {
  const std::pair<std::uint8_t, std::string> states[] = {
      {1, "ENROUTE"}, {2, "DELIVRD"}, {3, "EXPIRED"}, {4, "DELETED"},
      {5, "UNDELIV"}, {6, "ACCEPTD"}, {7, "UNKNOWN"}, {8, "REJECTD"}};
  for (const auto& [value, name] : states) {
    const auto r = query_result_of(query_answer(value));
    EXPECT_EQ(r.what, core::query_result::kind::state) << int(value);
    EXPECT_EQ(r.state, name);
    EXPECT_EQ(r.error_code, "");
    EXPECT_EQ(receipt_state_of(value), name);
  }
  EXPECT_EQ(query_result_of(query_answer(5, 34)).error_code, "34");
}

TEST(query_answers, unknown_ids_undefined_states_and_errors) {
  const auto fail = query_result_of({command_id::query_sm_resp, status::query_failed, 1, {}});
  EXPECT_EQ(fail.what, core::query_result::kind::not_found);
  EXPECT_NE(fail.reason.find("ESME_RQUERYFAIL"), std::string::npos) << fail.reason;
  const auto invalid =
      query_result_of({command_id::query_sm_resp, status::invalid_message_id, 1, {}});
  EXPECT_EQ(invalid.what, core::query_result::kind::not_found);
  EXPECT_NE(invalid.reason.find("ESME_RINVMSGID"), std::string::npos) << invalid.reason;

  const auto odd = query_result_of(query_answer(9));
  EXPECT_EQ(odd.what, core::query_result::kind::failed);
  EXPECT_NE(odd.reason.find("message_state 9"), std::string::npos) << odd.reason;
  EXPECT_EQ(receipt_state_of(0), "");

  const auto nack = query_result_of({command_id::generic_nack, status::invalid_command_id, 1, {}});
  EXPECT_EQ(nack.what, core::query_result::kind::failed);
  EXPECT_NE(nack.reason.find("generic_nack"), std::string::npos) << nack.reason;
  const auto busy = query_result_of({command_id::query_sm_resp, status::throttled, 1, {}});
  EXPECT_EQ(busy.what, core::query_result::kind::failed);
}

TEST(query_answers, the_id_is_asked_for_as_the_smsc_wrote_it) {
  EXPECT_EQ(submitted_message_id("42", id_format::hex), "2a");
  EXPECT_EQ(submitted_message_id(normalise_message_id("0000002A", id_format::hex), id_format::hex),
            "2a");
  EXPECT_EQ(submitted_message_id("0", id_format::hex), "0");
  EXPECT_EQ(submitted_message_id("42", id_format::decimal), "42");
  EXPECT_EQ(submitted_message_id("Ab-12", id_format::as_is), "Ab-12");
  EXPECT_EQ(submitted_message_id("zz", id_format::hex), "zz");  // not a number: kept
}

}  // namespace
}  // namespace mail2sms::smpp
