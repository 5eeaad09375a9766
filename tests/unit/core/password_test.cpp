// Credentials: the account-name rule AUTH checks a user name against before the store, and
// argon2id hashes that verify only their own password.
#include "core/policy/password.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mail2sms::policy {
namespace {

TEST(is_account_name, letters_digits_dot_underscore_and_dash_up_to_64) {
  EXPECT_TRUE(is_account_name("acme"));
  EXPECT_TRUE(is_account_name("Acme-Corp.ops_1"));
  EXPECT_TRUE(is_account_name("7eleven"));
  EXPECT_TRUE(is_account_name(std::string(64, 'a')));
  EXPECT_FALSE(is_account_name(std::string(65, 'a')));
  EXPECT_FALSE(is_account_name(""));
  EXPECT_FALSE(is_account_name(".hidden"));
  EXPECT_FALSE(is_account_name("-x"));
  EXPECT_FALSE(is_account_name("two words"));
  EXPECT_FALSE(is_account_name("user@example.com"));
  EXPECT_FALSE(is_account_name("\xff"));         // not UTF-8
  EXPECT_FALSE(is_account_name("caf\xc3\xa9"));  // UTF-8, not ASCII
  EXPECT_FALSE(is_account_name(std::string("a\0b", 3)));
}

TEST(password, a_hash_verifies_its_own_password_only) {
  const auto hash = hash_password("correct horse");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(verify_password(hash, "correct horse"));
  EXPECT_FALSE(verify_password(hash, "correct horse "));
  EXPECT_FALSE(verify_password(decoy_hash(), ""));
  EXPECT_FALSE(verify_password("not a hash", "correct horse"));
}

}  // namespace
}  // namespace mail2sms::policy
