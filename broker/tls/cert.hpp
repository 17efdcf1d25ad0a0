#pragma once
/// @file
/// A self-signed development certificate (`iotbroker cert dev`): RSA (so
/// the RSA-key-exchange suites of the device SDKs work), SHA-256,
/// subjectAltName for localhost and the loopback addresses, CA:TRUE so that
/// clients can trust the certificate file directly.

#include <string>
#include <vector>

#include "broker/util/expected.hpp"

namespace iotb::tls {

/// What to put in the certificate.
struct dev_cert_options {
  std::string common_name = "localhost";
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1", "::1"};
  int days = 825;
  int rsa_bits = 2048;
};

/// Writes a new key (mode 0600) and certificate as PEM files.
/// Errors: a sentence naming the failing step or file.
[[nodiscard]] expected<bool, std::string> make_self_signed(const std::string& cert_path,
                                                           const std::string& key_path,
                                                           const dev_cert_options& o);

}  // namespace iotb::tls
