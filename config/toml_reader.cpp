// Typed, key-checked reading of TOML tables for config loading (see toml_reader.hpp).
#include "config/toml_reader.hpp"

#include <algorithm>
#include <filesystem>
#include <utility>

namespace mail2sms::config::detail {

void document::fail(int line, std::string key, std::string message) const {
  throw load_failure{config_error{file, line, std::move(key), std::move(message)}};
}

std::string document::resolve(const std::string& path) const {
  namespace fs = std::filesystem;
  fs::path p(path);
  if (p.is_relative()) p = fs::absolute(base_dir.empty() ? fs::path(".") : fs::path(base_dir)) / p;
  return p.lexically_normal().string();
}

int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

namespace {

// Optimal string alignment distance: edits, counting a swap of neighbours as one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    const std::size_t allowed = std::clamp<std::size_t>(candidate.size() / 3, 1, 3);
    if (distance <= allowed && distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

section::section(const document& doc, const toml::table* table, std::string path,
                 std::string heading)
    : doc_(doc), table_(table), path_(std::move(path)), heading_(std::move(heading)) {}

void section::allow_only(std::initializer_list<std::string_view> known) const {
  if (table_ == nullptr) return;
  const toml::key* first = nullptr;
  for (const auto& [k, v] : *table_) {
    if (std::find(known.begin(), known.end(), k.str()) != known.end()) continue;
    if (first == nullptr || k.source().begin.line < first->source().begin.line) first = &k;
  }
  if (first == nullptr) return;
  std::string message = "unknown key '" + std::string(first->str()) + "' in " + heading_;
  const std::string suggestion = closest(first->str(), {known.begin(), known.end()});
  if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
  doc_.fail(static_cast<int>(first->source().begin.line), key(first->str()), std::move(message));
}

std::vector<std::string> section::keys() const {
  std::vector<std::pair<int, std::string>> lines;
  if (table_ != nullptr) {
    for (const auto& [k, v] : *table_)
      lines.emplace_back(static_cast<int>(k.source().begin.line), std::string(k.str()));
  }
  std::sort(lines.begin(), lines.end());
  std::vector<std::string> out;
  for (auto& l : lines) out.push_back(std::move(l.second));
  return out;
}

const toml::node* section::find(std::string_view name) const {
  return table_ == nullptr ? nullptr : table_->get(name);
}

int section::line() const { return table_ == nullptr ? 0 : line_of(*table_); }

int section::line(std::string_view name) const {
  const auto* node = find(name);
  return node != nullptr ? line_of(*node) : line();
}

std::string section::key(std::string_view name) const {
  return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
}

void section::fail(std::string_view name, std::string message) const {
  doc_.fail(line(name), key(name), std::move(message));
}

const std::string& section::string(std::string_view name, const toml::node& node) const {
  const auto* value = node.as_string();
  if (value == nullptr) fail(name, "expected a string, got " + type_name(node));
  return value->get();
}

std::int64_t section::integer(std::string_view name, const toml::node& node, std::int64_t min,
                              std::int64_t max) const {
  const auto* value = node.as_integer();
  if (value == nullptr) fail(name, "expected an integer, got " + type_name(node));
  const std::int64_t n = value->get();
  if (n >= min && n <= max) return n;
  if (max == std::numeric_limits<std::int64_t>::max())
    fail(name, "must be at least " + std::to_string(min) + ", got " + std::to_string(n));
  fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                 std::to_string(n));
}

void section::read(std::string_view name, std::string& out) const {
  if (const auto* node = find(name)) out = string(name, *node);
}

void section::read(std::string_view name, bool& out) const {
  const auto* node = find(name);
  if (node == nullptr) return;
  const auto* value = node->as_boolean();
  if (value == nullptr) fail(name, "expected a boolean (true or false), got " + type_name(*node));
  out = value->get();
}

void section::read(std::string_view name, std::vector<std::string>& out) const {
  if (!has(name)) return;
  out.clear();
  for (auto& item : string_items(name)) out.push_back(std::move(item.value));
}

void section::read(std::string_view name, std::chrono::seconds& out, std::int64_t min) const {
  if (const auto* node = find(name)) out = std::chrono::seconds(integer(name, *node, min, 1 << 30));
}

void section::read_path(std::string_view name, std::string& out) const {
  const auto* node = find(name);
  if (node == nullptr) return;
  const std::string& value = string(name, *node);
  if (value.empty()) fail(name, "must not be empty");
  out = doc_.resolve(value);
}

std::vector<section::string_item> section::string_items(std::string_view name) const {
  std::vector<string_item> items;
  const auto* node = find(name);
  if (node == nullptr) return items;
  const auto* array = node->as_array();
  if (array == nullptr) fail(name, "expected an array of strings, got " + type_name(*node));
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = (*array)[i];
    const auto* value = element.as_string();
    const std::string element_key = key(name) + "[" + std::to_string(i) + "]";
    if (value == nullptr)
      doc_.fail(line_of(element), element_key, "expected a string, got " + type_name(element));
    items.push_back({value->get(), line_of(element)});
  }
  return items;
}

std::vector<section> table_array(const document& doc, const toml::table& root,
                                 std::string_view name) {
  std::vector<section> tables;
  const auto* node = root.get(name);
  if (node == nullptr) return tables;
  const std::string heading = "[[" + std::string(name) + "]]";
  const auto* array = node->as_array();
  if (array == nullptr || (!array->empty() && !array->is_array_of_tables())) {
    doc.fail(line_of(*node), std::string(name),
             "expected an array of tables (write each as " + heading + "), got " +
                 (array == nullptr ? type_name(*node) : std::string("an array of values")));
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    tables.emplace_back(doc, (*array)[i].as_table(),
                        std::string(name) + "[" + std::to_string(i) + "]", heading);
  }
  return tables;
}

}  // namespace mail2sms::config::detail
