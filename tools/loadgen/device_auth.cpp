/// @file
/// Device credentials and signed CONNECTs (see device_auth.hpp).

#include "tools/loadgen/device_auth.hpp"

#include <fstream>

#include "broker/auth/sign.hpp"

namespace iotb::loadgen {

std::optional<std::vector<device_credential>> read_credentials(const std::string& path,
                                                               std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  std::vector<device_credential> out;
  std::string line;
  std::size_t no = 0;
  while (std::getline(in, line)) {
    ++no;
    if (line.empty() || line.starts_with("productKey"))
      continue;
    auto a = line.find(',');
    auto b = a == std::string::npos ? a : line.find(',', a + 1);
    if (b == std::string::npos) {
      error = path + ":" + std::to_string(no) + ": expected productKey,deviceName,deviceSecret";
      return std::nullopt;
    }
    out.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return out;
}

void sign_as_device(client_options& o, const device_credential& d, std::string_view extra) {
  auto id = d.product_key + "." + d.device_name;
  o.client_id = id + "|securemode=3,signmethod=hmacsha256";
  if (!extra.empty())
    o.client_id.append(",").append(extra);
  o.client_id += '|';
  o.username = d.device_name + "&" + d.product_key;
  o.password =
      tls::hmac_hex(tls::sign_method::hmacsha256, d.device_secret,
                    auth::device_sign_content(id, d.device_name, d.product_key, std::nullopt));
}

}  // namespace iotb::loadgen
