// Mail -> text -> segments -> one committed submission. Refusals carry the reason a sender
// needs to fix the mail; store failures are deferrals so the client keeps the mail.
#include "core/acceptance.hpp"


namespace mail2sms::core {
namespace {

acceptance_verdict refuse(std::string code, std::string text) {
  acceptance_verdict v;
  v.state = acceptance_verdict::status::rejected;
  v.enhanced_code = std::move(code);
  v.text = std::move(text);
  return v;
}

// A committed mail is accepted; a store failure defers it (the client keeps the mail and retries).
acceptance_verdict verdict_of(std::size_t segments, sms::encoding coding,
                              const message_store::enqueue_result& stored) {
  acceptance_verdict v;
  v.segments = segments;
  v.coding = coding;
  if (!stored) {
    v.state = acceptance_verdict::status::deferred;
    v.enhanced_code = "4.3.0";
    v.text = "Temporary storage failure, try again later";
    return v;
  }
  v.state = acceptance_verdict::status::accepted;
  v.queue_id = *stored;
  return v;
}

}  // namespace

std::string sms_text_of(const mail::mail_text& m, const mail::text_options& options) {
  return mail::sms_text(m, options);
}

std::optional<acceptance_verdict> acceptance::prepare(const acceptance_request& request,
                                                     submission& out) {
  auto text = mail::extract_text(request.data);
  if (!text) return refuse("5.6.0", text.error());
  const std::string body = sms_text_of(*text);
  if (body.empty()) return refuse("5.6.0", "The mail has no text to send: write the SMS in the body");

  sms::encode_options options;
  options.reference = next_reference_.fetch_add(1) & 0xFF;
  auto encoded = sms::encode(body, options);
  const auto parts = encoded.segments.size();
  if (parts > static_cast<std::size_t>(request.sender.max_parts)) {
    return refuse("5.3.4", "The text needs " + std::to_string(parts) + " SMS parts (" +
                               std::string(sms::to_string(encoded.coding)) + "); this account allows " +
                               std::to_string(request.sender.max_parts) + ": shorten it");
  }

  out.account_id = request.sender.id;
  out.mail_from = request.mail_from;
  out.message_id = text->message_id;
  out.recipients = request.recipients;
  out.sender_id = request.sender.sender_id;
  out.text = encoded.text;  // what the parts say (smart GSM may have replaced characters)
  out.sms = std::move(encoded);
  return std::nullopt;
}

acceptance_verdict acceptance::accept(const acceptance_request& request) {
  submission s;
  if (auto refused = prepare(request, s)) return *refused;
  return verdict_of(s.sms.segments.size(), s.sms.coding, store_.enqueue(s));
}

void acceptance::accept_async(const acceptance_request& request,
                              std::function<void(acceptance_verdict)> done) {
  submission s;
  if (auto refused = prepare(request, s)) {
    done(std::move(*refused));
    return;
  }
  // What the verdict needs of the message, kept: the submission itself moves into the store.
  const auto segments = s.sms.segments.size();
  const auto coding = s.sms.coding;
  store_.enqueue_async(std::move(s), [segments, coding, done = std::move(done)](
                                         message_store::enqueue_result stored) {
    done(verdict_of(segments, coding, stored));
  });
}

}  // namespace mail2sms::core
