// CRLF line framing. The outcome for a byte stream never depends on how it was chunked: the
// same lines, the same too_long reports, whatever the split.
#include "smtpd/crlf_line_reader.hpp"

namespace mail2sms::smtpd {

void crlf_line_reader::put(std::string_view bytes) {
  if (start_ > 0) {
    buffer_.erase(0, start_);
    search_from_ -= start_;
    start_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<crlf_line> crlf_line_reader::next(std::size_t max_octets) {
  const auto end = buffer_.find("\r\n", search_from_);
  if (end == std::string::npos) {
    // A CR at the very end may yet meet its LF: look again from there.
    search_from_ = buffer_.empty() ? 0 : std::max(start_, buffer_.size() - 1);
    if (discarding_ || buffered() >= max_octets) discard_partial_line();
    return std::nullopt;
  }
  const std::string_view text(buffer_.data() + start_, end - start_);
  start_ = end + 2;
  search_from_ = start_;
  if (discarding_ || text.size() + 2 > max_octets) {
    const std::string_view head =
        discarding_ ? std::string_view(head_) : text.substr(0, head_octets);
    discarding_ = false;
    return crlf_line{{}, true, head, false};
  }
  // Two single-octet finds (each one vectorised scan): find_first_of("\r\n") made a call per
  // octet of every line of every mail.
  const bool bare =
      text.find('\r') != std::string_view::npos || text.find('\n') != std::string_view::npos;
  return crlf_line{text, false, {}, bare};
}

void crlf_line_reader::clear() {
  buffer_.clear();
  start_ = 0;
  search_from_ = 0;
  discarding_ = false;
  head_.clear();
}

// Keeps only a trailing CR, which may be the first half of the CRLF that ends the line.
void crlf_line_reader::discard_partial_line() {
  if (!discarding_) head_.assign(buffer_, start_, head_octets);
  const bool trailing_cr = buffered() > 0 && buffer_.back() == '\r';
  buffer_.clear();
  if (trailing_cr) buffer_.push_back('\r');
  start_ = 0;
  search_from_ = 0;
  discarding_ = true;
}

}  // namespace mail2sms::smtpd
