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
  // Every text element quoted, `"` and `\` escaped: it may hold anything. A NUL octet, which
  // no PostgreSQL text can hold, becomes U+FFFD: libpq would end the whole parameter at it, and
  // the server's "malformed array literal" error would quote the elements before it (other
  // people's texts) into the logs.
  void add(std::string_view text) {
    open();
    out_ += '"';
    // Whole runs between the characters to escape, found with memchr (texts rarely hold any);
    // each search starts where the last one of its character ended.
    constexpr auto none = std::string_view::npos;
    std::size_t from = 0, quote = text.find('"'), backslash = text.find('\\'),
                nul = text.find('\0');
    for (;;) {
      const auto special = std::min({quote, backslash, nul});
      out_.append(text.substr(from, special == none ? none : special - from));
      if (special == none) break;
      from = special + 1;
      if (special == nul) {
        out_ += "\xEF\xBF\xBD";
        nul = text.find('\0', from);
        continue;
      }
      out_ += '\\';
      out_ += text[special];
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
