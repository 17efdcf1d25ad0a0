#pragma once
/// @file
/// The cloud platform's device CONNECT encoding (SPEC §2.1, §2.2), pure:
/// the client-id extension `<id>|k=v,k=v|`, the `deviceName&productKey`
/// username, the content a signature covers, and the name rules of SPEC §1.
/// Unit-tested in sign.test.cpp (the SPEC vector and real SDK client ids).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "broker/tls/hmac.hpp"
#include "broker/util/expected.hpp"

namespace iotb::auth {

/// Why a client id extension or username is malformed.
enum class sign_error : std::uint8_t {
  unterminated_extension,   ///< `|` opens an extension that no final `|` closes
  empty_key,                ///< `=value` or `,,` inside the extension
  bad_client_id,            ///< the part before `|` is empty or longer than 64 chars
  unsupported_sign_method,  ///< signmethod is not hmacmd5/hmacsha1/hmacsha256
  bad_securemode,           ///< securemode is not an integer
  bad_timestamp,            ///< timestamp is not all digits
  unknown_auth_type,        ///< authType is not register, regnwl or connwl
};

/// "malformed client id extension: ..." style text for logs.
[[nodiscard]] const char* to_string(sign_error e) noexcept;

/// `authType` of dynamic registration (SPEC §2.2).
enum class auth_type : std::uint8_t {
  none,       ///< a signed device CONNECT
  register_,  ///< pre-registered: answer the DeviceSecret
  regnwl,     ///< registration-free: answer clientId + deviceToken
  connwl,     ///< connect with a registration-free device token
};

/// A parsed client id. Views into the string given to `parse_client_id`.
struct client_id_ext {
  std::string client_id;          ///< the part before the first `|` (signed)
  bool has_extension = false;     ///< a `|...|` part was present
  std::optional<int> securemode;
  tls::sign_method method = tls::sign_method::hmacmd5;  ///< default per SPEC
  std::optional<std::string> timestamp;
  auth_type type = auth_type::none;
  std::string random;
  bool ss = false;  ///< `_ss=1`: the server subscribes the device
  int ext = 0;      ///< `ext=3`: extended RRPC
};

/// Parses `<clientId>|k=v,...|`. Unknown keys are ignored; spaces around
/// keys and values are trimmed. A client id without `|` is a plain MQTT
/// client id (`has_extension` false).
[[nodiscard]] expected<client_id_ext, sign_error> parse_client_id(std::string_view raw);

/// `deviceName&productKey`, split at the first `&`.
struct device_user {
  std::string device_name;
  std::string product_key;
};
/// Nothing unless both parts are non-empty.
[[nodiscard]] std::optional<device_user> parse_username(std::string_view u);

/// Sorted name+value content of a device signature: clientId, deviceName,
/// productKey and (if present) timestamp.
[[nodiscard]] std::string device_sign_content(std::string_view client_id, std::string_view dn,
                                              std::string_view pk,
                                              const std::optional<std::string>& timestamp);
/// Content of a registration signature: "deviceName"dn"productKey"pk"random"r.
[[nodiscard]] std::string register_sign_content(std::string_view dn, std::string_view pk,
                                                std::string_view random);

/// SPEC §1: 4-30 chars of letters (ASCII, or any non-ASCII UTF-8 sequence,
/// counted as one char), digits and `_ - @ ( )`.
[[nodiscard]] bool valid_product_name(std::string_view s) noexcept;
/// SPEC §1: 4-32 chars of `[A-Za-z0-9-_@.:]`.
[[nodiscard]] bool valid_device_name(std::string_view s) noexcept;
/// SPEC §1: 4-64 chars of `[A-Za-z0-9_]`.
[[nodiscard]] bool valid_alias(std::string_view s) noexcept;

}  // namespace iotb::auth
