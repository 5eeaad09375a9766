// Shared pieces of the config tests: a minimal valid document with known line numbers, edits
// of it, and a scratch directory for files the loader checks or reads.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.hpp"

namespace mail2sms::config::testing {

// Line numbers matter: the tests assert them.
inline const std::string minimal_toml =
    "[smtp]\n"                           // 1
    "listen = [\"127.0.0.1:2525\"]\n"    // 2
    "domains = [\"sms.example.com\"]\n"  // 3
    "\n"                                 // 4
    "[database]\n"                       // 5
    "embedded = \"pg\"\n"                // 6
    "\n"                                 // 7
    "[[connector]]\n"                    // 8
    "name = \"sim\"\n"                   // 9
    "type = \"file\"\n"                  // 10
    "path = \"out.jsonl\"\n"             // 11
    "\n"                                 // 12
    "[[route]]\n"                        // 13
    "prefix = \"+\"\n"                   // 14
    "connector = \"sim\"\n";             // 15

// minimal_toml with the first occurrence of from replaced by to.
inline std::string edited(const std::string& from, const std::string& to) {
  std::string text = minimal_toml;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' is not in minimal_toml";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// minimal_toml with an smpp connector whose lines from 12 on are `lines`.
inline std::string smpp_with(const std::string& lines) {
  return edited("type = \"file\"\npath = \"out.jsonl\"",
                "type = \"smpp\"\nsystem_id = \"id\"\n" + lines);
}

class config_test : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/mail2sms-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(name), nullptr);
    dir_ = name;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  result<config, config_error> load(const std::string& text) {
    return load_string(text, "test.toml", dir_.string());
  }

  // The error loading text must give; fails the test if it loads.
  config_error error_of(const std::string& text) {
    auto loaded = load(text);
    EXPECT_FALSE(loaded.has_value()) << "expected an error for:\n" << text;
    return loaded.has_value() ? config_error{} : loaded.error();
  }

  std::filesystem::path write(const std::string& name, const std::string& content) {
    const auto path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << content;
    return path;
  }

  std::filesystem::path dir_;
};

}  // namespace mail2sms::config::testing

// A config_error names this line and key, and its message says `fragment`.
#define EXPECT_ERROR(e, expected_line, expected_key, fragment)                              \
  do {                                                                                      \
    EXPECT_EQ((e).line, expected_line) << (e).to_string();                                  \
    EXPECT_EQ((e).key, expected_key) << (e).to_string();                                    \
    EXPECT_NE((e).message.find(fragment), std::string::npos) << "message: " << (e).message; \
  } while (false)
