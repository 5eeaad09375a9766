// Text to SMS: GSM 03.38 / UCS-2 encoding and segmentation with concatenation UDH.
// Pure functions over UTF-8 text; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/sms/gsm7.hpp"
#include "core/sms/national.hpp"

namespace mail2sms::sms {

enum class encoding { gsm7, ucs2 };

std::string_view to_string(encoding e);  // "gsm7" / "ucs2"

// One SMS as it goes on the wire. For GSM the payload is unpacked septets, one per octet
// (SMPP data_coding 0); for UCS-2 it is big-endian UTF-16 code units (data_coding 8).
struct segment {
  std::vector<std::uint8_t> udh;      // complete UDH including the UDHL octet; empty if single-part
  std::vector<std::uint8_t> payload;  // the text units of this part, without the UDH
};

struct encoded_message {
  encoding coding = encoding::gsm7;
  std::size_t units = 0;  // septets (GSM, escapes count 2) or UTF-16 code units (UCS-2)
  std::vector<segment> segments;
  // The text the parts carry: the input, or the input with smart GSM replacements or
  // transliteration applied when that made it fit GSM. Invalid UTF-8 in the input shows as U+FFFD.
  std::string text;
  // GSM with national language tables (encode_options::national): the locking and single shift
  // tables used (none: the default alphabet), named in every part's UDH, even a single part's.
  national_language locking_shift = national_language::none;
  national_language single_shift = national_language::none;
  // How many octets of `text` each segment carries, in order; they add up to text.size(). With
  // them a store can keep the text once and each part as its UDH and a size: part i's payload is
  // payload_of(its piece of text, coding, its UDH). Empty for a message put together by hand.
  std::vector<std::size_t> text_sizes;
  // false when encode_options::payloads was: every segment's payload is empty and must be made
  // from its piece of the text (payload_of) before it is sent.
  bool has_payloads = true;
};

struct encode_options {
  std::uint16_t reference = 0;   // concatenation reference number shared by all parts
  bool reference_16bit = false;  // IEI 0x08 (16-bit ref) instead of IEI 0x00 (8-bit ref)
  // When the text has characters without a GSM form, replace typographic ones by their GSM
  // equivalents (see smart_replacement) if that makes the whole text GSM; otherwise the text
  // goes unchanged as UCS-2.
  bool smart_gsm = true;
  // Then, if still not GSM, transliterate what has no GSM form ("Any-Latin; Latin-ASCII": Привет
  // -> Privet) if that makes the whole text GSM.
  bool transliterate = false;
  // Allow this language's national single and locking shift tables (3GPP TS 23.038 A.2/A.3) when
  // the text fits GSM only with them, or in fewer parts. Their UDH elements (3 octets each) come
  // out of each part's 140 octets. Tried before transliteration, after smart replacements.
  national_language national = national_language::none;
  // false: the parts' payloads are not made (each stays empty; the message's has_payloads says
  // so), everything else is as always: the count, the UDHs, the text and each part's piece of it
  // (text_sizes). For a caller that keeps the text and the pieces and makes the payloads again
  // when it sends them (the intake: sql/stored_parts.hpp's by-text form, sms::payload_of).
  bool payloads = true;
};

// Whether `c` has a GSM 03.38 form (basic table, or extension table behind the 0x1B escape).
// Inline (gsm7::lookup is): encoding a text asks it for every character.
inline bool is_gsm7(char32_t c) { return gsm7::lookup(c).has_value(); }

// A concatenation UDH counts parts in one octet: a text needing more parts cannot be sent as one
// message. encode() still returns every part (so segments.size() is the honest count), but with
// empty UDHs; callers refuse such a message (accounts.max_parts is at most 255 anyway).
inline constexpr std::size_t max_segments = 255;
bool fits_concatenation(const encoded_message& message);  // segments.size() <= max_segments

// Chooses GSM 03.38 (basic + extension table) when every character has a GSM form (after the
// replacements the options allow), else UCS-2; splits into 160/153 septets or 70/67 UTF-16 units,
// never splitting an escape pair, a surrogate pair or a grapheme cluster (an emoji ZWJ sequence,
// a flag, a skin tone, a letter and its combining marks: ICU's character break iterator); only a
// single grapheme longer than a whole part is split, between code points. Invalid UTF-8 is
// replaced by U+FFFD (which forces UCS-2). Multipart UDH:
// 05 00 03 REF TOTAL SEQ (8-bit: the low octet of `reference`, 153 septets / 67 units per part)
// or 06 08 04 REFHI REFLO TOTAL SEQ (16-bit: 152 / 66, so every part fits 140 octets packed).
// Empty text gives one empty segment.
encoded_message encode(std::string_view utf8, const encode_options& options = {});

// The text a payload carries, back as UTF-8 (GSM: unpacked septets incl. escapes; UCS-2: BE).
// GSM: an unknown escape shows the basic-table character, 0x1B 0x1B or a trailing 0x1B a space
// (3GPP TS 23.038 6.2.1.1), an octet above 0x7F U+FFFD. UCS-2: a lone surrogate or odd octet
// gives U+FFFD.
std::string decode(encoding coding, std::span<const std::uint8_t> payload);

// A part back as UTF-8 in the alphabet its UDH names: the national locking / single shift
// elements (IEI 0x25 / 0x24) for GSM, the default alphabet without them. What everything that
// reads stored or received parts (connectors, the simulator) uses; UCS-2 ignores the UDH.
std::string decode(encoding coding, std::span<const std::uint8_t> udh,
                   std::span<const std::uint8_t> payload);

// The payload of a part that carries `piece` (UTF-8) with this UDH: GSM septets (unpacked) in
// the alphabet the UDH names (its national elements, else the default alphabet), or big-endian
// UTF-16 for UCS-2. nullopt when a GSM piece has a character that alphabet lacks. For every
// segment of encode(), payload_of(its text_sizes piece of text, coding, udh) is its payload.
std::optional<std::vector<std::uint8_t>> payload_of(std::string_view piece, encoding coding,
                                                    std::span<const std::uint8_t> udh);

// Part `index` of `message` back as UTF-8, in the alphabet the message was encoded with.
std::string decode_part(const encoded_message& message, std::size_t index);

// Lower-case hex of raw octets ("050003a70301"): how UDHs and payloads are shown in JSON output.
std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace mail2sms::sms
