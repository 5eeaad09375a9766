#include "core/policy/admission.hpp"

#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "core/phone/phone.hpp"

namespace mail2sms::core::policy {
namespace {

refusal later(std::string text) { return {false, "4.7.1", std::move(text)}; }

std::string plural(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::vector<decision> admit(const std::vector<candidate>& batch,
                            std::map<std::int64_t, account_state>& states) {
  std::vector<decision> out;
  out.reserve(batch.size());
  // What the batch itself adds, for the mails after: messages per (account, number), and the
  // (account, Message-ID, text, number) already taken.
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> added_to_number;
  std::set<std::tuple<std::int64_t, std::string_view, std::string_view, std::string_view>> taken;

  for (const auto& c : batch) {
    decision d;
    auto found = states.find(c.account_id);
    if (found == states.end() || !found->second.active) {
      d.refused = refusal{true, "5.7.1", "The account is not active: ask its administrator"};
      out.push_back(std::move(d));
      continue;
    }
    auto& state = found->second;

    d.send.assign(c.recipients.size(), true);
    std::vector<std::size_t> sending;
    for (std::size_t i = 0; i < c.recipients.size(); ++i) {
      const bool seen_before = i < c.history.size() && c.history[i].duplicate;
      const bool seen_in_batch =
          !c.message_id.empty() &&
          taken.count({c.account_id, c.message_id, c.text, c.recipients[i]}) > 0;
      if (!c.message_id.empty() && (seen_before || seen_in_batch)) {
        d.send[i] = false;
        ++d.duplicates;
      } else {
        sending.push_back(i);
      }
    }
    if (sending.empty()) {  // a retry of a mail already taken: accepted, sent once
      out.push_back(std::move(d));
      continue;
    }

    d.messages = static_cast<std::int64_t>(sending.size());
    d.segments = d.messages * c.segments;
    for (std::size_t i : sending) d.cost += i < c.costs.size() ? c.costs[i] : c.segments;

    if (state.messages_per_minute > 0 && d.messages > state.messages_per_minute) {
      d.refused = refusal{true, "5.7.1",
                          "This mail is for " + plural(d.messages, "recipient", "recipients") +
                              " and the account may send " +
                              plural(state.messages_per_minute, "message", "messages") +
                              " a minute: split it"};
    } else if (state.segments_per_day > 0 && d.segments > state.segments_per_day) {
      d.refused = refusal{true, "5.7.1",
                          "This mail needs " + plural(d.segments, "SMS segment", "SMS segments") +
                              " and the account may send " +
                              std::to_string(state.segments_per_day) + " a day: shorten or split it"};
    } else if (state.messages_per_minute > 0 &&
               state.minute_used + d.messages > state.messages_per_minute) {
      d.refused = later("Rate limit: this account may send " +
                        plural(state.messages_per_minute, "message", "messages") +
                        " a minute and this mail would make " +
                        std::to_string(state.minute_used + d.messages) + "; try again in a minute");
    } else if (state.segments_per_day > 0 && state.day_used + d.segments > state.segments_per_day) {
      d.refused = later("Rate limit: this account may send " +
                        plural(state.segments_per_day, "SMS segment", "SMS segments") +
                        " a day, " + std::to_string(state.day_used) + " are used and this mail needs " +
                        std::to_string(d.segments) + "; try again tomorrow");
    } else if (state.per_number_per_hour > 0) {
      for (std::size_t i : sending) {
        const auto before = (i < c.history.size() ? c.history[i].last_hour : 0) +
                            added_to_number[{c.account_id, c.recipients[i]}];
        if (before + 1 > state.per_number_per_hour) {
          d.refused = later(phone::mask(c.recipients[i]) + " already had " +
                            plural(before, "message", "messages") +
                            " from this account in the past hour, the most it allows; try again "
                            "later");
          break;
        }
      }
    }
    if (!d.refused && d.cost > state.credit) {
      d.refused = refusal{
          state.fail_fast, state.fail_fast ? "5.7.1" : "4.7.1",
          "Not enough credit: this mail needs " + std::to_string(d.cost) +
              " (" + plural(d.segments, "segment", "segments") + " to " +
              plural(d.messages, "recipient", "recipients") + ") and the account has " +
              std::to_string(state.credit) + "; top up the account" +
              (state.fail_fast ? "" : " and the mail goes on the next retry")};
    }
    if (d.refused) {
      d.send.clear();
      d.duplicates = 0;
      d.cost = d.messages = d.segments = 0;
      out.push_back(std::move(d));
      continue;
    }

    state.credit -= d.cost;
    state.minute_used += d.messages;
    state.day_used += d.segments;
    for (std::size_t i : sending) {
      added_to_number[{c.account_id, c.recipients[i]}] += 1;
      if (!c.message_id.empty())
        taken.insert({c.account_id, c.message_id, c.text, c.recipients[i]});
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::string dedup_key(const std::string& message_id) {
  std::string_view id(message_id);
  while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.remove_prefix(1);
  while (!id.empty() && (id.back() == ' ' || id.back() == '\t')) id.remove_suffix(1);
  if (id.size() >= 2 && id.front() == '<' && id.back() == '>') id = id.substr(1, id.size() - 2);
  const auto at = id.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == id.size()) return {};
  return message_id;
}

}  // namespace mail2sms::core::policy
