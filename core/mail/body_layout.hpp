// The layout of a decoded text body made fit for an SMS: line breaks, blank lines, and
// format=flowed (RFC 3676) paragraphs joined back together.
#pragma once

#include <string>
#include <string_view>

namespace mail2sms::mail {

// CRLF and lone CR -> LF; trailing blanks of every line removed; blank lines at the start and
// the end removed; runs of blank lines collapsed to one.
std::string normalise_body(std::string_view text);

// Undoes format=flowed: a line ending in a space continues on the next one (that space removed
// too when delsp=yes); space-stuffing removed; the "-- " signature separator and quoted lines
// of a different depth are never joined.
std::string unflow(std::string_view text, bool delete_space);

}  // namespace mail2sms::mail
