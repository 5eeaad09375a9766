// RFC 2047 decoding: a scan for encoded words, runs of adjacent words decoded together.
#include "core/mail/rfc2047.hpp"

#include <algorithm>
#include <optional>

#include "core/mail/ascii_text.hpp"
#include "core/mail/charset.hpp"
#include "core/mail/transfer_encoding.hpp"

namespace mail2sms::mail {
namespace {

struct encoded_word {
  std::string charset;
  std::string bytes;
  std::size_t end = 0;  // one past the closing "?="
};

// The "Q" encoding: "_" is a space, "=XX" a byte; a malformed "=" stays as it is.
std::string decode_q(std::string_view text) {
  std::string bytes;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      bytes += ' ';
    } else if (text[i] == '=' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      bytes += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      bytes += text[i];
    }
  }
  return bytes;
}

// RFC 2047 allows 75 characters; mailers exceed that, but not by this much. The bound keeps the
// scan linear on a header full of "=?" that never closes.
constexpr std::size_t max_word_length = 512;

// "=?charset[*language]?B|Q?text?=" starting at `pos`, or nothing if it is not one. An encoded
// word holds no blanks, so the search stops at the first one.
std::optional<encoded_word> parse_encoded_word(std::string_view text, std::size_t pos) {
  if (text.substr(pos, 2) != "=?") return std::nullopt;
  const std::size_t blank = text.substr(pos, max_word_length).find_first_of(" \t");
  text = text.substr(0, blank == std::string_view::npos ? pos + max_word_length : pos + blank);
  const std::size_t charset_end = text.find('?', pos + 2);
  if (charset_end == std::string_view::npos || charset_end + 2 >= text.size() ||
      text[charset_end + 2] != '?') {
    return std::nullopt;
  }
  const std::size_t text_start = charset_end + 3;
  const std::size_t text_end = text.find("?=", text_start);
  if (text_end == std::string_view::npos) return std::nullopt;
  std::string_view charset = text.substr(pos + 2, charset_end - pos - 2);
  const std::string_view encoded = text.substr(text_start, text_end - text_start);
  if (charset.empty()) return std::nullopt;
  charset = charset.substr(0, charset.find('*'));  // RFC 2231 language suffix
  const char encoding = text[charset_end + 1];
  encoded_word word{std::string(charset), {}, text_end + 2};
  if (encoding == 'B' || encoding == 'b') {
    word.bytes = decode_base64(encoded);
  } else if (encoding == 'Q' || encoding == 'q') {
    word.bytes = decode_q(encoded);
  } else {
    return std::nullopt;
  }
  return word;
}

// Collects decoded text: literal runs, and runs of adjacent encoded words in one charset.
class header_decoder {
 public:
  void literal(char c) { literal_ += c; }

  void word(encoded_word word) {
    const bool adjacent = in_run_ && literal_.find_first_not_of(" \t") == std::string::npos;
    if (adjacent && iequals(word.charset, run_charset_)) {
      run_bytes_ += word.bytes;
      literal_.clear();
      return;
    }
    if (adjacent) literal_.clear();
    flush();
    run_charset_ = std::move(word.charset);
    run_bytes_ = std::move(word.bytes);
    in_run_ = true;
  }

  std::string finish() {
    flush();
    return std::move(out_);
  }

 private:
  void flush() {
    if (in_run_) out_ += to_utf8(run_bytes_, run_charset_);
    out_ += to_utf8(literal_, "");
    in_run_ = false;
    run_bytes_.clear();
    literal_.clear();
  }

  std::string out_;
  std::string literal_;
  std::string run_charset_;
  std::string run_bytes_;
  bool in_run_ = false;
};

// One line, no control characters, no surrounding blanks.
std::string single_line(std::string text) {
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  const std::size_t first = text.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

}  // namespace

std::string decode_header_text(std::string_view raw) {
  std::string unfolded;
  for (char c : raw) {
    if (c != '\r' && c != '\n') unfolded += c;
  }
  header_decoder decoder;
  for (std::size_t pos = 0; pos < unfolded.size();) {
    if (auto word = parse_encoded_word(unfolded, pos)) {
      pos = word->end;
      decoder.word(std::move(*word));
    } else {
      decoder.literal(unfolded[pos++]);
    }
  }
  return single_line(decoder.finish());
}

}  // namespace mail2sms::mail
