// What every TLS endpoint of mail2sms shares (the SMTP listeners, the SMPP client and simulator,
// the http connector): TLS 1.2 or later, and a peer's chain checked against a CA file or the
// system's trust store. Header-only: each user links OpenSSL through mail2sms_asio.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <string>

namespace mail2sms::tls {

inline void require_tls_12(boost::asio::ssl::context& context) {
  using ctx = boost::asio::ssl::context;
  context.set_options(ctx::default_workarounds | ctx::no_sslv2 | ctx::no_sslv3 | ctx::no_tlsv1 |
                      ctx::no_tlsv1_1);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
}

// Verify the peer against ca_file (PEM), or the system's trust store when it is empty. Returns
// the error of loading them (the caller says whose CA file it was).
inline boost::system::error_code verify_peer_against(boost::asio::ssl::context& context,
                                                     const std::string& ca_file) {
  context.set_verify_mode(boost::asio::ssl::verify_peer);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context.set_default_verify_paths(ec);
  } else {
    context.load_verify_file(ca_file, ec);
  }
  return ec;
}

}  // namespace mail2sms::tls
