// Cleaning a mail body for a phone: the sender's own words, without the signature, the quoted
// mail they replied to, the "Sent from my iPhone" footer, the company disclaimer, or whatever
// follows the account's end marker.
#pragma once

#include <string>
#include <string_view>

#include "core/mail/mail_text.hpp"

namespace mail2sms::mail {

// `text` is laid out by normalise_body (LF lines, no trailing blanks). In this order:
//  1. end marker: from the first line that is exactly options.end_marker, cut;
//  2. forwards: the "---------- Forwarded message ---------" / "Begin forwarded message:" line
//     and the From/Date/Subject/To/Cc lines after it are dropped, the forwarded text kept;
//  3. replies: quoted lines ('>') and the attribution lines above them ("On ... wrote:" on one
//     or two lines, its German, French, Spanish and Dutch forms, mutt's "* Ann <ann@...> [...]:")
//     dropped, so interleaved answers stay; from an Outlook header ("-----Original Message-----",
//     "From: ..." followed by "Sent: "/"Date: " within four lines, also in German, French,
//     Spanish and Russian, a line of underscores before such a block), cut. If that leaves
//     nothing, the quoted text is kept without its quote marks and headers (a mail that is only
//     a quote was meant to pass it on);
//  4. signature: from a "-- " line (or "--", as mailers that trim blanks leave it), cut;
//  5. disclaimers: from the line where the first match of any options.disclaimer_patterns
//     begins, cut;
//  6. mobile footers at the end ("Sent from my iPhone", "Get Outlook for Android", ...) dropped;
//  7. runs of spaces and tabs inside a line become one space; normalise_body again.
// A body that is only a signature, a footer or a disclaimer becomes empty: the subject policy then
// sends the subject (a subject-only mail from a phone), or the mail is refused for want of text.
std::string clean_body(std::string_view text, const text_options& options);

}  // namespace mail2sms::mail
