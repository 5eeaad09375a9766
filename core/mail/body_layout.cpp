// Body layout: line-by-line passes over decoded UTF-8 text.
#include "core/mail/body_layout.hpp"

#include <algorithm>
#include <vector>

namespace mail2sms::mail {
namespace {

// The lines of `text`, split at LF, CRLF or a lone CR. The next CR and the next LF are each
// found with a (vectorised) find and kept until passed: an octet-by-octet loop was a tenth of a
// 1 KiB mail's whole conversion.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  std::size_t next_cr = text.find('\r');
  std::size_t next_lf = text.find('\n');
  for (std::size_t i = std::min(next_cr, next_lf); i != std::string_view::npos;
       i = std::min(next_cr, next_lf)) {
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
    if (next_cr < start) next_cr = text.find('\r', start);  // npos is never below start
    if (next_lf < start) next_lf = text.find('\n', start);
  }
  lines.push_back(text.substr(start));
  return lines;
}

std::string_view without_trailing_blanks(std::string_view line) {
  const std::size_t end = line.find_last_not_of(" \t\f\v");
  return end == std::string_view::npos ? std::string_view{} : line.substr(0, end + 1);
}

std::size_t quote_depth(std::string_view line) {
  const std::size_t depth = line.find_first_not_of('>');
  return depth == std::string_view::npos ? line.size() : depth;
}

}  // namespace

std::string normalise_body(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pending_blank_lines = 0;
  for (const std::string_view raw_line : lines_of(text)) {
    const std::string_view line = without_trailing_blanks(raw_line);
    if (line.empty()) {
      ++pending_blank_lines;
      continue;
    }
    if (!out.empty()) out += pending_blank_lines > 0 ? "\n\n" : "\n";
    pending_blank_lines = 0;
    out += line;
  }
  return out;
}

std::string unflow(std::string_view text, bool delete_space) {
  std::string out;
  out.reserve(text.size());
  bool first = true;
  bool joining = false;  // the previous line was flowed into this one
  std::size_t joined_depth = 0;
  for (const std::string_view raw_line : lines_of(text)) {
    const std::size_t depth = quote_depth(raw_line);
    std::string_view line = raw_line.substr(depth);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);  // space-stuffing
    if (!joining || depth != joined_depth) {
      if (!first) out += '\n';
      out.append(depth, '>');
      if (depth > 0) out += ' ';
    }
    const bool flowed = !line.empty() && line.back() == ' ' && line != "-- ";
    if (flowed && delete_space) line.remove_suffix(1);
    out += line;
    first = false;
    joining = flowed;
    joined_depth = depth;
  }
  return out;
}

}  // namespace mail2sms::mail
