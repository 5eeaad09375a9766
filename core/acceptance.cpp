// Mail -> text -> segments -> one committed submission, under the sending account's settings.
// Refusals carry the reason a sender needs to fix the mail; store failures are deferrals so the
// client keeps the mail; the account's credit and limits answer at the commit.
#include "core/acceptance.hpp"

#include "core/phone/phone.hpp"
#include "core/policy/recipients.hpp"
#include "core/sms/graphemes.hpp"
#include "core/sms/utf8.hpp"

namespace mail2sms::core {
namespace {

acceptance_verdict refuse(std::string code, std::string text) {
  acceptance_verdict v;
  v.state = acceptance_verdict::status::rejected;
  v.enhanced_code = std::move(code);
  v.text = std::move(text);
  return v;
}

// What the verdict needs to know of the prepared mail once the submission has moved on.
struct prepared {
  std::size_t segments = 0;
  sms::encoding coding = sms::encoding::gsm7;
  bool truncated = false;
};

// Committed: accepted. Refused by the account's limits: rejected or deferred as they say. A store
// failure defers the mail (the client keeps it and retries).
acceptance_verdict verdict_of(const prepared& p, const message_store::enqueue_result& stored) {
  acceptance_verdict v;
  v.segments = p.segments;
  v.coding = p.coding;
  v.truncated = p.truncated;
  if (!stored) {
    v.state = acceptance_verdict::status::deferred;
    v.enhanced_code = "4.3.0";
    v.text = "Temporary storage failure, try again later";
    return v;
  }
  if (stored->refused) {
    const auto& r = *stored->refused;
    v.state = r.permanent ? acceptance_verdict::status::rejected : acceptance_verdict::status::deferred;
    v.enhanced_code = r.enhanced_code;
    v.text = r.text;
    return v;
  }
  v.state = acceptance_verdict::status::accepted;
  v.queue_id = stored->queue_id;
  v.duplicates = stored->duplicates;
  v.cost = stored->cost;
  return v;
}

constexpr std::string_view truncation_marker = "...";

// The longest start of `text` (whole graphemes) that, with the marker after it, fits in
// max_parts; the encoded message of that.
sms::encoded_message truncated(const std::string& text, const sms::encode_options& options,
                               std::size_t max_parts) {
  const std::u32string code_points = sms::utf8::decode(text);
  const auto starts = sms::grapheme_starts(code_points);
  std::vector<std::size_t> cuts;  // code point offsets where a grapheme begins
  for (std::size_t i = 0; i < starts.size(); ++i)
    if (starts[i]) cuts.push_back(i);
  auto encode_prefix = [&](std::size_t cut) {
    std::string prefix = sms::utf8::encode(std::u32string_view(code_points).substr(0, cut));
    while (!prefix.empty() && (prefix.back() == ' ' || prefix.back() == '\n')) prefix.pop_back();
    return sms::encode(prefix + std::string(truncation_marker), options);
  };
  // Binary search for the last cut that fits; the empty prefix always does.
  std::size_t lo = 0, hi = cuts.size();
  while (lo + 1 < hi) {
    const std::size_t mid = (lo + hi) / 2;
    if (encode_prefix(cuts[mid]).segments.size() <= max_parts) lo = mid;
    else hi = mid;
  }
  return encode_prefix(cuts.empty() ? 0 : cuts[lo]);
}

}  // namespace

std::string sms_text_of(const mail::mail_text& m, const mail::text_options& options) {
  return mail::sms_text(m, options);
}

std::optional<acceptance_verdict> acceptance::prepare(const acceptance_request& request,
                                                     submission& out, bool& cut) {
  const account& sender = *request.sender;
  auto text = mail::extract_text(request.data, sender.text);
  if (!text) return refuse("5.6.0", text.error());
  if (!sender.senders.empty()) {
    // Every address in From: must be one the account may use, and there must be one.
    const auto from = policy::addresses_in_header(text->from);
    if (from.empty())
      return refuse("5.7.1", "The mail has no From: address, and this account lists its senders");
    for (const auto& address : from) {
      if (!policy::sender_allowed(address, sender)) {
        return refuse("5.7.1", "The From: address <" + address +
                                   "> is not a sender address this account may use");
      }
    }
  }
  const std::string body = sms_text_of(*text, sender.text);
  if (body.empty()) return refuse("5.6.0", "The mail has no text to send: write the SMS in the body");

  sms::encode_options options;
  options.reference_16bit = sender.reference_16bit;
  const std::uint16_t reference = next_reference_.fetch_add(1);
  options.reference = sender.reference_16bit ? reference : reference & 0xFF;
  options.smart_gsm = sender.smart_gsm;
  options.transliterate = sender.transliterate;
  options.national = sender.national;
  // The store keeps the text and each part's piece of it; the payloads are made at the claim.
  options.payloads = false;
  auto encoded = sms::encode(body, options);
  const auto max_parts = static_cast<std::size_t>(sender.max_parts);
  cut = false;
  if (encoded.segments.size() > max_parts) {
    if (!sender.truncate) {
      return refuse("5.3.4", "The text needs " + std::to_string(encoded.segments.size()) +
                                 " SMS parts (" + std::string(sms::to_string(encoded.coding)) +
                                 "); this account allows " + std::to_string(max_parts) +
                                 ": shorten it");
    }
    encoded = truncated(body, options, max_parts);
    cut = true;
  }

  out.account_id = sender.id;
  out.mail_from = request.mail_from;
  out.message_id = text->message_id;
  out.recipients = request.recipients;
  const auto segments = static_cast<std::int64_t>(encoded.segments.size());
  out.costs.clear();
  if (!prices_.flat()) {
    for (const auto& r : request.recipients) {
      const auto price = prices_.by_country.find(phone::region_of(r));
      out.costs.push_back(segments *
                          (price == prices_.by_country.end() ? prices_.default_price : price->second));
    }
  } else if (prices_.default_price != 1) {
    out.costs.assign(request.recipients.size(), segments * prices_.default_price);
  }
  out.sender_id = sender.sender_id;
  out.text = encoded.text;  // what the parts say (smart GSM may have replaced characters)
  out.sms = std::move(encoded);
  return std::nullopt;
}

acceptance_verdict acceptance::accept(const acceptance_request& request) {
  submission s;
  bool cut = false;
  if (auto refused = prepare(request, s, cut)) return *refused;
  const prepared p{s.sms.segments.size(), s.sms.coding, cut};
  return verdict_of(p, store_.enqueue(s));
}

void acceptance::accept_async(const acceptance_request& request,
                              std::function<void(acceptance_verdict)> done) {
  submission s;
  bool cut = false;
  if (auto refused = prepare(request, s, cut)) {
    done(std::move(*refused));
    return;
  }
  const prepared p{s.sms.segments.size(), s.sms.coding, cut};
  store_.enqueue_async(std::move(s), [p, done = std::move(done)](message_store::enqueue_result stored) {
    done(verdict_of(p, stored));
  });
}

}  // namespace mail2sms::core
