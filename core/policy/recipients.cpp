#include "core/policy/recipients.hpp"

#include <algorithm>
#include <cctype>

#include "core/phone/phone.hpp"

namespace mail2sms::core::policy {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Printable ASCII only, short: the text is put into an SMTP reply.
std::string shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) out += (c > 0x20 && c < 0x7f) ? c : '?';
  return out;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// Empty when the account may send to this number, else the reply line.
std::string check_number(const phone::number_info& n, const account& a) {
  const auto& allowed = a.countries;
  const bool any = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
  const bool country_ok = any || (allowed.empty() ? n.region == a.country
                                                  : std::find(allowed.begin(), allowed.end(),
                                                              n.region) != allowed.end());
  if (!country_ok) {
    return "550 5.7.1 " + phone::mask(n.e164) + " is a number in " +
           (n.region.empty() ? std::string("no known country") : n.region) +
           "; this account may send to " + (allowed.empty() ? a.country : joined(allowed)) +
           " only (ask its administrator to allow more destination countries)";
  }
  const auto& types = a.number_types;
  if (std::find(types.begin(), types.end(), n.type) == types.end()) {
    return "550 5.7.1 " + phone::mask(n.e164) + " is a " + n.type +
           " number; this account may send to " + joined(types) +
           " numbers only (ask its administrator to allow more number types)";
  }
  return {};
}

}  // namespace

result<std::vector<std::string>, std::string> resolve_recipient(std::string_view local_part,
                                                                const account& a) {
  const auto group = a.groups.find(lower(local_part));
  if (group != a.groups.end()) {
    if (group->second.empty())
      return fail("550 5.1.1 The contact group '" + group->first + "' has no members");
    for (const auto& member : group->second) {
      auto n = phone::parse(member, "");
      if (!n) return fail("550 5.1.1 The contact group '" + group->first +
                          "' holds a number that is no longer valid: " + n.error());
      if (auto refused = check_number(*n, a); !refused.empty()) return fail(std::move(refused));
    }
    return group->second;
  }
  auto n = phone::parse(local_part, a.country);
  if (!n) {
    const bool word = std::any_of(local_part.begin(), local_part.end(),
                                  [](unsigned char c) { return std::isalpha(c); });
    if (word)
      return fail("550 5.1.1 '" + shown(local_part) +
                  "' is neither a phone number nor a contact group of this account");
    return fail("550 5.1.1 " + n.error());
  }
  if (auto refused = check_number(*n, a); !refused.empty()) return fail(std::move(refused));
  return std::vector<std::string>{std::move(n->e164)};
}

bool sender_allowed(std::string_view address, const account& a) {
  if (a.senders.empty()) return true;
  const std::string addr = lower(address);
  const auto at = addr.rfind('@');
  if (at == std::string::npos) return false;
  const std::string_view domain = std::string_view(addr).substr(at + 1);
  return std::any_of(a.senders.begin(), a.senders.end(), [&](const std::string& p) {
    if (p.size() > 2 && p[0] == '*' && p[1] == '@') return domain == std::string_view(p).substr(2);
    return p == addr;
  });
}

std::string address_in_header(std::string_view from) {
  // Comments and display names aside, the address is inside <...> when there are brackets.
  const auto open = from.find('<');
  if (open != std::string_view::npos) {
    const auto close = from.find('>', open);
    if (close == std::string_view::npos) return {};
    return std::string(from.substr(open + 1, close - open - 1));
  }
  std::string_view rest = from;
  if (const auto comma = rest.find(','); comma != std::string_view::npos) rest = rest.substr(0, comma);
  if (const auto paren = rest.find('('); paren != std::string_view::npos) rest = rest.substr(0, paren);
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.front()))) rest.remove_prefix(1);
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.back()))) rest.remove_suffix(1);
  return rest.find('@') == std::string_view::npos ? std::string{} : std::string(rest);
}

}  // namespace mail2sms::core::policy
