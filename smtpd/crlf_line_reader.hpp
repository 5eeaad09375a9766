// Splits an SMTP byte stream into lines that end only in CRLF (RFC 5321 2.3.8), with a length
// limit that keeps memory bounded: an over-long line is discarded as it arrives and reported once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mail2sms::smtpd {

struct crlf_line {
  // Both views are valid until the reader's next put(), next() or clear().
  std::string_view text;       // without the CRLF; empty when too_long
  bool too_long = false;       // longer than the limit; its bytes were discarded
  // When too_long: its first octets (up to crlf_line_reader::head_octets), enough to tell an
  // AUTH command from another.
  std::string_view head;
  bool bare_cr_or_lf = false;  // text holds a CR or LF that is not part of a CRLF
};

class crlf_line_reader {
 public:
  static constexpr std::size_t head_octets = 8;

  void put(std::string_view bytes);
  // The next complete line if it is there. max_octets counts the CRLF. Without a complete line,
  // at most max_octets bytes stay buffered: the rest of an over-long line is dropped.
  std::optional<crlf_line> next(std::size_t max_octets);
  std::size_t buffered() const { return buffer_.size() - start_; }
  void clear();

 private:
  void discard_partial_line();

  std::string buffer_;
  std::size_t start_ = 0;        // first byte not yet returned in a line
  std::size_t search_from_ = 0;  // no CRLF begins before this offset
  bool discarding_ = false;      // inside an over-long line
  std::string head_;             // while discarding: the line's first octets
};

}  // namespace mail2sms::smtpd
