// SASL PLAIN and LOGIN response decoding, and the strict base64 they are carried in.
#include "smtpd/sasl.hpp"

#include <array>
#include <cstdint>

namespace mail2sms::smtpd::sasl {
namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// -1 for a byte outside the alphabet (including '=').
constexpr std::array<int, 256> make_decode_table() {
  std::array<int, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
  }
  return table;
}
constexpr auto decode_table = make_decode_table();

// Credentials end up in database parameters and logs: a NUL there is never legitimate.
bool has_nul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      const auto byte = k < n ? static_cast<unsigned char>(bytes[i + k]) : 0U;
      group = (group << 8) | byte;
    }
    for (std::size_t k = 0; k < 4; ++k) {
      out += k <= n ? alphabet[(group >> (18 - 6 * k)) & 0x3F] : '=';
    }
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t group = 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    const int v = decode_table[static_cast<unsigned char>(text[i])];
    if (v < 0) return std::nullopt;  // includes '=' anywhere but the end
    group = (group << 6) | static_cast<std::uint32_t>(v);
    if (i % 4 == 3) {
      out += static_cast<char>((group >> 16) & 0xFF);
      out += static_cast<char>((group >> 8) & 0xFF);
      out += static_cast<char>(group & 0xFF);
      group = 0;
    }
  }
  if (padding == 2) out += static_cast<char>((group >> 4) & 0xFF);
  if (padding == 1) {
    out += static_cast<char>((group >> 10) & 0xFF);
    out += static_cast<char>((group >> 2) & 0xFF);
  }
  return out;
}

result<credentials, error> decode_plain(std::string_view response) {
  const auto message = base64_decode(response);
  if (!message) return fail(error::bad_base64);
  const std::string_view m = *message;
  const auto first = m.find('\0');
  if (first == std::string_view::npos) return fail(error::malformed);
  const auto second = m.find('\0', first + 1);
  if (second == std::string_view::npos) return fail(error::malformed);
  const auto authzid = m.substr(0, first);
  const auto authcid = m.substr(first + 1, second - first - 1);
  const auto password = m.substr(second + 1);
  if (authcid.empty() || has_nul(password)) return fail(error::malformed);
  if (!authzid.empty() && authzid != authcid) return fail(error::authzid_mismatch);
  return credentials{std::string(authcid), std::string(password)};
}

result<std::string, error> decode_login_field(std::string_view response) {
  auto field = base64_decode(response);
  if (!field) return fail(error::bad_base64);
  if (has_nul(*field)) return fail(error::malformed);
  return std::move(*field);
}

}  // namespace mail2sms::smtpd::sasl
