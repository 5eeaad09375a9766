// PostgreSQL arrays built client-side, for statements that take a whole batch as
// unnest($1::T[], ...) parameters (libpqxx 6 has no array parameters): as literals (text
// format), and in the binary format for the intake's hot statements. Internal to sql/.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
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

// The same, in PostgreSQL's binary array format (what array_recv reads), sent as a binary
// parameter: the server takes each element by its length instead of parsing quoted text
// (array_in and the elements' input functions were about 4 % of PostgreSQL's CPU per mail the
// SMTP intake accepts), and nothing is escaped or formatted here. The element type must be the
// one the statement casts the parameter to: array_recv refuses any other. No NULL elements.
class binary_array {
 public:
  enum class element : std::uint32_t { int8 = 20, int4 = 23, text = 25 };  // pg_type OIDs

  explicit binary_array(element type) : type_(type), out_(header_size, '\0') {
    set32(8, static_cast<std::uint32_t>(type_));  // ndim 0 and flags 0 (no NULLs) until an add
    set32(16, 1);                                 // the lower bound
  }

  // A NUL octet becomes U+FFFD, as in array_literal: no PostgreSQL text can hold one.
  void add(std::string_view text) {
    if (type_ != element::text) throw std::logic_error("binary_array: text in a number array");
    const auto at = out_.size();
    put32(0);  // the length, once known
    for (auto nul = text.find('\0'); nul != std::string_view::npos; nul = text.find('\0')) {
      out_.append(text.substr(0, nul));
      out_.append("\xEF\xBF\xBD");
      text.remove_prefix(nul + 1);
    }
    out_.append(text);
    const auto length = out_.size() - at - 4;
    if (length > INT32_MAX) throw std::length_error("binary_array: an element over 2 GiB");
    set32(at, length);
    counted();
  }
  void add(std::int64_t n) {
    if (type_ == element::int8) {
      put32(8);
      put32(static_cast<std::uint64_t>(n) >> 32);
      put32(static_cast<std::uint64_t>(n));
    } else if (type_ == element::int4 && n >= INT32_MIN && n <= INT32_MAX) {
      put32(4);
      put32(static_cast<std::uint64_t>(n));
    } else {
      throw std::logic_error("binary_array: " + std::to_string(n) + " does not fit the array");
    }
    counted();
  }
  void add(int n) { add(static_cast<std::int64_t>(n)); }
  bool empty() const { return count_ == 0; }

  // The parameter's octets (valid until the next add): ndim, flags, the element type, then the
  // one dimension's size and lower bound and the elements. An empty array has no dimension.
  std::string_view bytes() const {
    return count_ == 0 ? std::string_view(out_).substr(0, 12) : std::string_view(out_);
  }

 private:
  static constexpr std::size_t header_size = 20;
  void counted() {
    ++count_;
    set32(0, 1);
    set32(12, count_);
  }
  void put32(std::uint64_t v) {
    const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
    out_.append(b, 4);
  }
  void set32(std::size_t at, std::uint64_t v) {
    out_[at] = static_cast<char>(v >> 24);
    out_[at + 1] = static_cast<char>(v >> 16);
    out_[at + 2] = static_cast<char>(v >> 8);
    out_[at + 3] = static_cast<char>(v);
  }
  element type_;
  std::string out_;
  std::size_t count_ = 0;
};

}  // namespace mail2sms::sql
