// Typed, key-checked reading of one TOML table for config loading: every failure names the
// file, the line and the dotted key, and unknown keys come with a "did you mean" suggestion.
#pragma once

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace mail2sms::config::detail {

// Thrown while loading and caught in load_string: the first error ends the load.
struct load_failure {
  config_error error;
};

// Where the document came from: the file named in errors and the directory paths resolve against.
struct document {
  std::string file;
  std::string base_dir;

  [[noreturn]] void fail(int line, std::string key, std::string message) const;
  std::string resolve(const std::string& path) const;  // absolute and normalised
};

int line_of(const toml::node& node);
std::string type_name(const toml::node& node);  // "a string", "an integer", ...

// The closest of candidates to word when it is close enough to be a likely typo, else "".
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// One table (or an absent one, read as empty) at a dotted path such as "smtp" or "connector[0]".
class section {
 public:
  section(const document& doc, const toml::table* table, std::string path, std::string heading);

  // Fails on the first key (in file order) that is not in known.
  void allow_only(std::initializer_list<std::string_view> known) const;

  const toml::node* find(std::string_view name) const;
  std::vector<std::string> keys() const;  // the table's keys, in file order
  bool has(std::string_view name) const { return find(name) != nullptr; }
  int line() const;                              // the table's own line, 0 when absent
  int line(std::string_view name) const;         // the key's value line, else the table's
  std::string key(std::string_view name) const;  // "smtp.listen"
  const std::string& path() const { return path_; }
  const document& doc() const { return doc_; }
  [[noreturn]] void fail(std::string_view name, std::string message) const;

  void read(std::string_view name, std::string& out) const;
  void read(std::string_view name, bool& out) const;
  void read(std::string_view name, std::vector<std::string>& out) const;
  void read(std::string_view name, std::chrono::seconds& out, std::int64_t min = 1) const;
  void read_path(std::string_view name, std::string& out) const;  // resolved against base_dir

  template <class Int>
  void read(std::string_view name, Int& out, std::int64_t min,
            std::int64_t max = std::numeric_limits<std::int64_t>::max()) const {
    if (const auto* node = find(name)) out = static_cast<Int>(integer(name, *node, min, max));
  }

  // The elements of an array of strings, with each element's line; empty when absent.
  struct string_item {
    std::string value;
    int line = 0;
  };
  std::vector<string_item> string_items(std::string_view name) const;

 private:
  std::int64_t integer(std::string_view name, const toml::node& node, std::int64_t min,
                       std::int64_t max) const;
  const std::string& string(std::string_view name, const toml::node& node) const;

  const document& doc_;
  const toml::table* table_;
  std::string path_;
  std::string heading_;
};

// The tables of an array of tables ([[connector]]); fails if the key holds anything else.
std::vector<section> table_array(const document& doc, const toml::table& root,
                                 std::string_view name);

}  // namespace mail2sms::config::detail
