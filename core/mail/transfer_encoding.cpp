// Transfer decoding with mimetic's Base64 and QP decoders, after shaping their input so that
// mimetic's known edge cases (below) are never reached.
#include "core/mail/transfer_encoding.hpp"

#include <mimetic/codec/base64.h>
#include <mimetic/codec/code.h>
#include <mimetic/codec/qp.h>

#include <algorithm>
#include <iterator>

#include "core/mail/ascii_text.hpp"

namespace mail2sms::mail {
namespace {

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=';
}

}  // namespace

std::string decode_base64(std::string_view text) {
  // mimetic 0.9.8's decoder reads one entry past its table for '|' and decodes it as 'A':
  // hand it only the alphabet.
  std::string alphabet;
  alphabet.reserve(text.size());
  std::copy_if(text.begin(), text.end(), std::back_inserter(alphabet), is_base64_char);
  std::string bytes;
  mimetic::Base64::Decoder decoder;
  mimetic::decode(alphabet.begin(), alphabet.end(), decoder, std::back_inserter(bytes));
  return bytes;
}

std::string decode_quoted_printable(std::string_view text) {
  // mimetic 0.9.8's decoder swallows a bare LF that follows trailing blanks (joining the lines),
  // and turns blanks at the very end into "=". With every line ending in CRLF, including the
  // last, it does neither.
  std::string crlf;
  crlf.reserve(text.size() + text.size() / 32 + 2);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      crlf += "\r\n";
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      crlf += text[i];
    }
  }
  const bool ended_in_line_break = !text.empty() && (text.back() == '\n' || text.back() == '\r');
  if (!ended_in_line_break) crlf += "\r\n";
  std::string bytes;
  mimetic::QP::Decoder decoder;
  mimetic::decode(crlf.begin(), crlf.end(), decoder, std::back_inserter(bytes));
  if (!ended_in_line_break && !bytes.empty() && bytes.back() == '\n') bytes.pop_back();
  return bytes;
}

std::string decode_transfer_encoding(std::string_view body, std::string_view mechanism) {
  if (iequals(trim(mechanism), "quoted-printable")) return decode_quoted_printable(body);
  if (iequals(trim(mechanism), "base64")) return decode_base64(body);
  return std::string(body);
}

}  // namespace mail2sms::mail
