// RFC 4180 reading (see csv.hpp): one pass, a field at a time.
#include "sql/csv.hpp"

namespace mail2sms::sql {

result<std::vector<csv_record>, csv_error> parse_csv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<csv_record> records;
  csv_record record{1, {}};
  std::string field;
  int line = 1;
  std::size_t i = 0;
  const auto end_record = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
    const bool blank = record.fields.size() == 1 && record.fields[0].empty();
    if (!blank) records.push_back(std::move(record));
    record = csv_record{line, {}};
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == '"' && field.empty()) {
      // A quoted field: up to the quote that is not doubled.
      const int opened_at = line;
      ++i;
      for (;;) {
        if (i >= text.size())
          return fail(csv_error{opened_at, "a quoted field is not closed: end it with \""});
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
        return fail(csv_error{line,
                              "text after a closing quote: a quote inside a quoted field is "
                              "written twice (\"\")"});
      continue;  // the separator or line end that follows is read as usual
    }
    if (c == '"')
      return fail(csv_error{line,
                            "a quote inside an unquoted field: put the whole field in quotes and "
                            "write the quote twice (\"a \"\"b\"\" c\")"});
    if (c == ',') {
      record.fields.push_back(std::move(field));
      field.clear();
      ++i;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;  // the LF ends the record
    } else if (c == '\n') {
      ++line;
      ++i;
      end_record();
    } else {
      field += c;
      ++i;
    }
  }
  if (!field.empty() || !record.fields.empty()) end_record();
  return records;
}

}  // namespace mail2sms::sql
