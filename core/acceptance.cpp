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

}  // namespace

std::string sms_text_of(const mail::mail_text& m) { return m.body.empty() ? m.subject : m.body; }

acceptance_verdict acceptance::accept(const acceptance_request& request) {
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

  submission s;
  s.account_id = request.sender.id;
  s.mail_from = request.mail_from;
  s.message_id = text->message_id;
  s.recipients = request.recipients;
  s.sender_id = request.sender.sender_id;
  s.text = body;
  s.sms = std::move(encoded);

  acceptance_verdict v;
  v.segments = parts;
  v.coding = s.sms.coding;
  auto stored = store_.enqueue(s);
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

}  // namespace mail2sms::core
