// What an operator may write in account administration, checked before it reaches the database:
// the `account set` keys and their values, sender patterns, certificate fingerprints, group
// names, password labels; and the redaction of phone numbers in audit details. No database here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mail2sms::sql {

// One key of `account set`: the accounts column it writes and what a valid value looks like.
struct setting {
  std::string_view key;       // "max-parts"
  std::string_view column;    // "max_parts"
  std::string_view sql_type;  // "text", "integer", "boolean", "text[]"
  std::string_view valid;     // "a whole number from 1 to 255": ends the error message
};

const std::vector<setting>& settings();  // in the order `account show` lists them
const setting* find_setting(std::string_view key);

// For a key that is not one: says so, lists the keys, and suggests the likely one.
std::string unknown_setting_message(std::string_view key);

// The value as its column takes it (PostgreSQL's text form: an array literal for text[]), or
// a sentence saying what is wrong and what a valid value looks like. The timezone is only
// checked for shape here; PostgreSQL knows the names.
result<std::string, std::string> normalise_setting(const setting& s, std::string_view value);

// "90", "90s", "10m", "24h", "1d" -> seconds.
result<std::int64_t, std::string> parse_duration(std::string_view text);

// "Ops@Example.COM" -> "ops@example.com"; "*@example.com" for any address at the domain.
result<std::string, std::string> normalise_sender_pattern(std::string_view text);

// A SHA-256 fingerprint as people copy it ("AB:CD:...", with spaces, or openssl's
// "SHA256 Fingerprint=AB:CD:...") -> 64 lower-case hex digits.
result<std::string, std::string> normalise_fingerprint(std::string_view text);

// A contact group's name as the local part of GROUP@DOMAIN: lower case, starts with a letter.
result<std::string, std::string> normalise_group_name(std::string_view text);

// An app password's label: 1-64 letters, digits, '.', '_' or '-'. Empty when valid, else why.
std::string check_password_label(std::string_view label);

// PostgreSQL's array literal for these strings, each quoted and escaped: '{"a","b\"c"}'.
std::string text_array_literal(const std::vector<std::string>& items);

}  // namespace mail2sms::sql
