#include "sql/submissions.hpp"

#include <sodium.h>

#include <array>
#include <cctype>
#include <unordered_map>

#include "core/sms/sms.hpp"

namespace mail2sms::sql {
namespace {

// PostgreSQL array literals: every element quoted, `"` and `\` escaped (text may hold anything).
class array_literal {
 public:
  void add(std::string_view text) {
    out_ += out_.empty() ? '{' : ',';
    out_ += '"';
    for (char c : text) {
      if (c == '"' || c == '\\') out_ += '\\';
      out_ += c;
    }
    out_ += '"';
  }
  void add(std::int64_t n) { add(std::string_view(std::to_string(n))); }
  std::string str() const { return out_.empty() ? "{}" : out_ + '}'; }

 private:
  std::string out_;
};

}  // namespace

std::string new_queue_id() {
  std::array<unsigned char, 6> random{};
  randombytes_buf(random.data(), random.size());
  std::string id = sms::to_hex(std::span<const std::uint8_t>(random.data(), random.size()));
  for (char& c : id) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return id;  // upper case, as mail servers write queue ids
}

void insert_submissions(pqxx::work& tx, std::span<const submission_ref> batch) {
  array_literal queue_ids, accounts, froms, mail_ids, recipients, senders, bodies, codings, counts;
  for (const auto& ref : batch) {
    const auto& s = *ref.submission;
    for (const auto& recipient : s.recipients) {
      queue_ids.add(ref.queue_id);
      accounts.add(s.account_id);
      froms.add(s.mail_from);
      mail_ids.add(s.message_id);
      recipients.add(recipient);
      senders.add(s.sender_id);
      bodies.add(s.text);
      codings.add(sms::to_string(s.sms.coding));
      counts.add(static_cast<std::int64_t>(s.sms.segments.size()));
    }
  }
  auto ids = tx.exec_params(
      "INSERT INTO messages (queue_id, account_id, mail_from, mail_message_id, recipient, "
      "sender_id, body, encoding, segments) "
      "SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], "
      "$6::text[], $7::text[], $8::text[], $9::int[]) "
      "RETURNING id, queue_id, recipient",
      queue_ids.str(), accounts.str(), froms.str(), mail_ids.str(), recipients.str(), senders.str(),
      bodies.str(), codings.str(), counts.str());

  // RETURNING promises no order: find each row's submission by (queue id, recipient).
  std::unordered_map<std::string, const core::submission*> by_queue_id;
  for (const auto& ref : batch) by_queue_id.emplace(ref.queue_id, ref.submission);
  array_literal part_messages, part_numbers, udhs, payloads, event_messages;
  for (const auto& row : ids) {
    const auto id = row[0].as<std::int64_t>();
    const auto* s = by_queue_id.at(row[1].as<std::string>());
    std::int64_t part_no = 1;
    for (const auto& seg : s->sms.segments) {
      part_messages.add(id);
      part_numbers.add(part_no++);
      udhs.add(sms::to_hex(seg.udh));
      payloads.add(sms::to_hex(seg.payload));
    }
    event_messages.add(id);
  }
  tx.exec_params(
      "INSERT INTO message_parts (message_id, part_no, udh, payload) "
      "SELECT m, p, decode(u, 'hex'), decode(d, 'hex') "
      "FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[]) AS t(m, p, u, d)",
      part_messages.str(), part_numbers.str(), udhs.str(), payloads.str());
  tx.exec_params(
      "INSERT INTO message_events (message_id, status) SELECT unnest($1::bigint[]), 'queued'",
      event_messages.str());
  tx.exec0(std::string("NOTIFY ") + queue_channel);
}

}  // namespace mail2sms::sql
