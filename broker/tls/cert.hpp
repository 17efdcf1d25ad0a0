#pragma once
/// @file
/// A self-signed development certificate (`iotbroker cert dev`): an RSA key
/// (so the RSA-key-exchange suites of the mbedtls device SDKs work), X.509
/// v3, SHA-256 signature, a random serial, subjectAltName DNS and IP
/// entries, and basicConstraints CA:TRUE so that clients can trust the
/// certificate file directly as their CA file.

#include <string>
#include <vector>

#include "broker/util/expected.hpp"

namespace iotb::tls {

/// What to put in the certificate.
struct dev_cert_options {
  std::string common_name = "localhost";                         ///< subject CN, 1–64 chars
  std::vector<std::string> dns_names = {"localhost"};            ///< subjectAltName DNS entries
  std::vector<std::string> ip_addresses = {"127.0.0.1", "::1"};  ///< IPv4/IPv6 SAN entries
  int days = 825;       ///< validity from now (1–36500); 825 = the browser limit
  int rsa_bits = 2048;  ///< key size, 2048–8192
};

/// Generates a new RSA key and a self-signed certificate for it, and writes
/// both as PEM: the key (PKCS#8) to `key_path` with mode 0600 (also when the
/// file existed with another mode), the certificate to `cert_path` (0644
/// less the umask).
/// Existing files are overwritten. Thread-safe.
///
/// Returns true, or a sentence naming the failing step or file: an invalid
/// option (bad IP address, DNS name, days, key size), key generation,
/// signing, or a file that cannot be written (with the OS reason).
[[nodiscard]] expected<bool, std::string> make_self_signed(const std::string& cert_path,
                                                           const std::string& key_path,
                                                           const dev_cert_options& o);

}  // namespace iotb::tls
