// The per-client limits' key (see client_key.hpp).
#include "smtpd/client_key.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <string>

namespace mail2sms::smtpd {

std::string without_zone(std::string address) {
  address.erase(std::min(address.find('%'), address.size()));
  return address;
}

std::string client_key(const std::string& address) {
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET6, without_zone(address).c_str(), bytes.data()) != 1)
    return address;  // IPv4, or none
  constexpr std::array<unsigned char, 12> v4_mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(v4_mapped.begin(), v4_mapped.end(), bytes.begin())) {
    char text[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, bytes.data() + 12, text, sizeof text) == nullptr) return address;
    return text;
  }
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, bytes.data(), text, sizeof text) == nullptr) return address;
  return std::string(text) + "/64";
}

}  // namespace mail2sms::smtpd
