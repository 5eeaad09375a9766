// JSONL output: {"queue_id", "recipient", "sender_id", "encoding", "text", "parts": [...]}.
#include "core/connectors/file/file_connector.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>

namespace mail2sms::core {

file_connector::file_connector(std::string name, std::string path)
    : name_(std::move(name)), path_(std::move(path)) {}

submit_outcome file_connector::submit(const queued_message& message) {
  nlohmann::json parts = nlohmann::json::array();
  std::string text;
  for (const auto& s : message.segments) {
    auto part_text = sms::decode(message.coding, s.udh, s.payload);
    text += part_text;
    parts.push_back({{"udh", sms::to_hex(s.udh)}, {"text", part_text}});
  }
  nlohmann::json line = {{"queue_id", message.queue_id},     {"recipient", message.recipient},
                         {"sender_id", message.sender_id},   {"encoding", sms::to_string(message.coding)},
                         {"text", text},                     {"parts", parts}};

  std::lock_guard lock(mutex_);
  if (!out_.is_open()) out_.open(path_, std::ios::app);
  out_ << line.dump() << '\n' << std::flush;
  submit_outcome outcome;
  if (!out_) {
    outcome.reason = "cannot write " + path_ + ": " + std::strerror(errno);
    out_.close();
    out_.clear();
    return outcome;
  }
  outcome.state = submit_outcome::status::submitted;
  for (std::size_t i = 1; i <= message.segments.size(); ++i)
    outcome.smsc_message_ids.push_back("file-" + std::to_string(message.id) + "-" + std::to_string(i));
  return outcome;
}

}  // namespace mail2sms::core
