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
                                                                const account& a,
                                                                std::size_t most) {
  const auto group = a.groups.find(lower(local_part));
  if (group != a.groups.end()) {
    if (group->second.empty())
      return fail("550 5.1.1 The contact group '" + group->first + "' has no members");
    if (group->second.size() > most) {  // its members are distinct numbers (group_members' key)
      return fail("550 5.5.3 Too many recipients: the contact group '" + group->first + "' has " +
                  std::to_string(group->second.size()) + " members, the most is " +
                  std::to_string(most) + " per mail");
    }
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

std::vector<std::string> addresses_in_header(std::string_view from) {
  std::vector<std::string> out;
  std::string bare;     // the text of the current list element outside quotes and comments
  std::string angled;   // what was inside <...>
  bool have_angled = false;
  bool quoted = false;
  int comment = 0;
  auto finish = [&] {
    std::string address = have_angled ? angled : bare;
    const auto first = address.find_first_not_of(" \t\r\n");
    const auto last = address.find_last_not_of(" \t\r\n");
    address = first == std::string::npos ? std::string() : address.substr(first, last - first + 1);
    if (address.find('@') != std::string::npos) out.push_back(address);
    bare.clear();
    angled.clear();
    have_angled = false;
  };
  for (std::size_t i = 0; i < from.size(); ++i) {
    const char c = from[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (comment > 0) {
      if (c == '\\') ++i;
      else if (c == '(') ++comment;
      else if (c == ')') --comment;
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      comment = 1;
    } else if (c == '<') {
      const auto close = from.find('>', i);
      if (close == std::string_view::npos) break;
      angled = std::string(from.substr(i + 1, close - i - 1));
      have_angled = true;
      i = close;
    } else if (c == ',') {
      finish();
    } else {
      bare += c;
    }
  }
  finish();
  return out;
}

}  // namespace mail2sms::core::policy
