// An http connector's settings as written in the configuration ([[connector]] type = "http"),
// kept free of heavy includes: config/config.hpp carries them. request.hpp compiles them.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace mail2sms::http {

// As written in the configuration ([[connector]] type = "http").
struct settings {
  std::string name = "http";
  std::string method = "POST";           // GET | POST | PUT | PATCH
  std::string url;                       // template: placeholders in path and query
  std::vector<std::string> headers;      // "Name: value template"
  std::string body;                      // template; empty: no body
  std::string body_format = "form";      // form (url-escaped) | json | text (as is)
  std::vector<unsigned> success_status;  // empty: any 2xx
  std::string success_pattern;           // empty: the status alone decides
  std::string message_id_pattern;        // empty: no provider id is kept
  std::string multipart = "whole";       // whole: one request | segments: one per part
  std::array<std::string, 2> coding_values{"0", "8"};  // {coding} for GSM 03.38, for UCS-2
  std::string default_source;                          // {from} when the account has no sender ID
  std::chrono::milliseconds timeout{10'000};           // connect + TLS + request + response
  std::string ca_file;                                 // PEM CAs to trust instead of the system's
  std::size_t max_idle_connections = 8;                // kept open for reuse (keep-alive)
};

}  // namespace mail2sms::http
