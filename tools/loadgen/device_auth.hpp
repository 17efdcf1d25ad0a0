#pragma once
/// @file
/// Device credentials for the load generator: the CSV that `iotbroker
/// device create --count N --csv` writes, and the signed CONNECT of SPEC
/// §2.1 built from one line (the connect, idle and thing scenarios).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/loadgen/client.hpp"

namespace iotb::loadgen {

/// One line of the credentials CSV: productKey,deviceName,deviceSecret.
struct device_credential {
  std::string product_key;
  std::string device_name;
  std::string device_secret;
};

/// Reads the CSV (a header line starting with "productKey" is skipped).
/// Errors: a text naming the line.
[[nodiscard]] std::optional<std::vector<device_credential>> read_credentials(
    const std::string& path, std::string& error);

/// Makes `o` a signed device CONNECT per SPEC §2.1, as the C SDKs send it:
/// client id `pk.dn|securemode=3,signmethod=hmacsha256[,extra]|` (e.g.
/// extra `_ss=1`: the broker subscribes the device), username `dn&pk`,
/// the HMAC-SHA256 password over clientId, deviceName and productKey.
void sign_as_device(client_options& o, const device_credential& d, std::string_view extra = {});

}  // namespace iotb::loadgen
