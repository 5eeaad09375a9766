// argon2id via libsodium's crypto_pwhash_str with the interactive limits.
#include "core/policy/password.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>

namespace mail2sms::policy {
namespace {

void ensure_sodium() {
  static const int ready = sodium_init();
  if (ready < 0) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

std::string hash_password(std::string_view password) {
  ensure_sodium();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("argon2id hashing ran out of memory");
  }
  return std::string(out.data());
}

bool verify_password(const std::string& phc_hash, std::string_view password) {
  ensure_sodium();
  return crypto_pwhash_str_verify(phc_hash.c_str(), password.data(), password.size()) == 0;
}

const std::string& decoy_hash() {
  static const std::string hash = [] {
    ensure_sodium();
    std::array<unsigned char, 32> random{};
    randombytes_buf(random.data(), random.size());
    return hash_password(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
  }();
  return hash;
}

}  // namespace mail2sms::policy
