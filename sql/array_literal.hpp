// PostgreSQL array literals built client-side, for statements that take a whole batch as
// unnest($1::T[], ...) parameters (libpqxx 6 has no array parameters). Internal to sql/.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace mail2sms::sql {

class array_literal {
 public:
  // Every text element quoted, `"` and `\` escaped: it may hold anything.
  void add(std::string_view text) {
    open();
    out_ += '"';
    // Whole runs between the characters to escape, found with memchr (texts rarely hold any);
    // each search starts where the last one of its character ended.
    constexpr auto none = std::string_view::npos;
    std::size_t from = 0, quote = text.find('"'), backslash = text.find('\\');
    for (;;) {
      const auto special = std::min(quote, backslash);
      out_.append(text.substr(from, special == none ? none : special - from));
      if (special == none) break;
      out_ += '\\';
      out_ += text[special];
      from = special + 1;
      if (special == quote) {
        quote = text.find('"', from);
      } else {
        backslash = text.find('\\', from);
      }
    }
    out_ += '"';
  }
  void add(std::int64_t n) {
    open();
    out_ += std::to_string(n);
  }
  void add(int n) { add(static_cast<std::int64_t>(n)); }
  void add_null() {
    open();
    out_ += "NULL";
  }
  bool empty() const { return out_.empty(); }
  std::string str() const { return out_.empty() ? "{}" : out_ + '}'; }

 private:
  void open() { out_ += out_.empty() ? '{' : ','; }
  std::string out_;
};

}  // namespace mail2sms::sql
