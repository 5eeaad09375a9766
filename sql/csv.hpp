// RFC 4180 CSV, as spreadsheets export it: comma-separated fields, double quotes around fields
// that hold commas, quotes or line breaks, "" for a quote inside them; CRLF or LF line ends; a
// UTF-8 byte-order mark is skipped. Pure: no files, no database.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mail2sms::sql {

struct csv_record {
  int line = 0;  // where the record starts (a quoted field may span lines)
  std::vector<std::string> fields;
};

struct csv_error {
  int line = 0;
  std::string message;  // what is wrong there, and how to write it
};

// Every record, blank lines skipped. A stray quote inside an unquoted field, text after a closing
// quote or an unclosed quote is an error at its line.
result<std::vector<csv_record>, csv_error> parse_csv(std::string_view text);

}  // namespace mail2sms::sql
