// Password hashing for account credentials: argon2id PHC strings (libsodium crypto_pwhash_str),
// verifiable by any other argon2 implementation. Each call costs ~100 ms: keep off I/O threads.
#pragma once

#include <string>
#include <string_view>

namespace mail2sms::policy {

std::string hash_password(std::string_view password);
bool verify_password(const std::string& phc_hash, std::string_view password);

// The rule for an account's name (0022's account_name): 1-64 letters, digits, '.', '_' or '-',
// starting with a letter or digit. A user name that breaks it names no account.
bool is_account_name(std::string_view name);

// A valid hash of a random password, to verify against when an account does not exist, so
// that a wrong name and a wrong password take the same time.
const std::string& decoy_hash();

}  // namespace mail2sms::policy
