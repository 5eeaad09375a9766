// The end of DATA: a received mail becomes SMS text, is encoded into segments and committed to
// the message store. The verdict is what the SMTP reply to the final dot will say.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/mail/mail_text.hpp"
#include "core/ports.hpp"

namespace mail2sms::core {

// Credit per SMS segment by destination country (ISO 3166 alpha-2); others cost default_price.
struct price_table {
  std::int64_t default_price = 1;
  std::map<std::string, std::int64_t, std::less<>> by_country;
  bool flat() const { return by_country.empty(); }
};

struct acceptance_request {
  std::shared_ptr<const account> sender;
  std::string mail_from;
  std::vector<std::string> recipients;  // E.164, already deduplicated
  std::string_view data;                // the RFC 5322 message
};

struct acceptance_verdict {
  enum class status { accepted, rejected, deferred };
  status state = status::deferred;
  std::string queue_id;       // accepted
  std::string enhanced_code;  // rejected / deferred: RFC 3463 code
  std::string text;           // rejected / deferred: what was wrong and what to do
  std::size_t segments = 0;
  sms::encoding coding = sms::encoding::gsm7;
  bool truncated = false;      // cut to the account's max parts (it asked for that)
  std::size_t duplicates = 0;  // recipients that already had this Message-ID and text
  std::int64_t cost = 0;       // credit reserved
};

// What the SMS says under the account's subject policy (mail::sms_text); by default the body, the
// subject when the body is empty (a subject-only alert).
std::string sms_text_of(const mail::mail_text& m, const mail::text_options& options = {});

class acceptance {
 public:
  explicit acceptance(message_store& store, price_table prices = {})
      : store_(store), prices_(std::move(prices)) {}
  // Blocking (mail parsing, then a database commit): call it off the I/O threads.
  acceptance_verdict accept(const acceptance_request& request);
  // Converts the mail on the calling thread, then hands it to the store without waiting; done
  // gets the verdict once, from a store thread after the commit, or from this call for a mail
  // that is refused. request need only live until this returns.
  void accept_async(const acceptance_request& request,
                    std::function<void(acceptance_verdict)> done);

 private:
  // A refusal, or nullopt with the submission filled in (cut: truncated to the max parts).
  std::optional<acceptance_verdict> prepare(const acceptance_request& request, submission& out,
                                            bool& cut);

  message_store& store_;
  const price_table prices_;
  std::atomic<std::uint16_t> next_reference_{1};
};

}  // namespace mail2sms::core
