// SMPP 3.4 command_status values (section 5.1.3): names for logs and reasons, and which ones are
// worth retrying.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mail2sms::smpp::status {

inline constexpr std::uint32_t ok = 0x00;                   // ESME_ROK
inline constexpr std::uint32_t invalid_msg_length = 0x01;   // ESME_RINVMSGLEN
inline constexpr std::uint32_t invalid_cmd_length = 0x02;   // ESME_RINVCMDLEN
inline constexpr std::uint32_t invalid_command_id = 0x03;   // ESME_RINVCMDID
inline constexpr std::uint32_t invalid_bind_status = 0x04;  // ESME_RINVBNDSTS
inline constexpr std::uint32_t already_bound = 0x05;        // ESME_RALYBND
inline constexpr std::uint32_t system_error = 0x08;         // ESME_RSYSERR
inline constexpr std::uint32_t invalid_source = 0x0A;       // ESME_RINVSRCADR
inline constexpr std::uint32_t invalid_destination = 0x0B;  // ESME_RINVDSTADR
inline constexpr std::uint32_t invalid_message_id = 0x0C;  // ESME_RINVMSGID
inline constexpr std::uint32_t bind_failed = 0x0D;          // ESME_RBINDFAIL
inline constexpr std::uint32_t invalid_password = 0x0E;     // ESME_RINVPASWD
inline constexpr std::uint32_t invalid_system_id = 0x0F;    // ESME_RINVSYSID
inline constexpr std::uint32_t queue_full = 0x14;           // ESME_RMSGQFUL
inline constexpr std::uint32_t submit_failed = 0x45;        // ESME_RSUBMITFAIL
inline constexpr std::uint32_t throttled = 0x58;            // ESME_RTHROTTLED
inline constexpr std::uint32_t query_failed = 0x67;         // ESME_RQUERYFAIL
inline constexpr std::uint32_t temporary_app_error = 0x64;  // ESME_RX_T_APPN
inline constexpr std::uint32_t invalid_tlv_stream = 0xC0;   // ESME_RINVOPTPARSTREAM
inline constexpr std::uint32_t invalid_tlv_length = 0xC2;   // ESME_RINVPARLEN
inline constexpr std::uint32_t unknown_error = 0xFF;        // ESME_RUNKNOWNERR

// "ESME_RTHROTTLED", or an empty view for a value SMPP 3.4 does not name (vendor codes).
std::string_view name(std::uint32_t status);

// "ESME_RTHROTTLED (0x00000058)", or "status 0x00000401" for an unnamed value.
std::string describe(std::uint32_t status);

// Whether sending the same PDU again later may succeed: throttling, a full queue, system and
// temporary errors, a lost bind, and values SMPP 3.4 does not define (vendor codes, which we
// cannot judge). Everything else (bad address, bad data, ...) is permanent.
bool is_transient(std::uint32_t status);

}  // namespace mail2sms::smpp::status
