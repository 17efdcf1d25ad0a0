#pragma once
/// @file
/// The cloud platform's device CONNECT encoding (SPEC §2.1, §2.2), pure:
/// the client-id extension `<id>|k=v,k=v|`, the `deviceName&productKey`
/// username, the content a signature covers, and the name rules of SPEC §1.
/// No I/O, no state: every function is thread-safe. Unit-tested in
/// sign.test.cpp (the SPEC vector and real SDK client ids); fuzzed by
/// tests/fuzz/device_auth_fuzz.cpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/tls/hmac.hpp"
#include "broker/util/expected.hpp"

namespace iotb::auth {

/// Why a client id extension is malformed. Each one refuses the CONNECT with
/// "identifier rejected" (3.1.1 code 2, MQTT 5 reason 0x85).
enum class sign_error : std::uint8_t {
  unterminated_extension,   ///< `|` opens an extension that no final `|` closes
  empty_key,                ///< `=value` or `,,` inside the extension
  bad_client_id,            ///< the part before `|` is empty or longer than 64 chars
  unsupported_sign_method,  ///< signmethod is not hmacmd5/hmacsha1/hmacsha256
  bad_securemode,           ///< securemode is not an integer
  bad_timestamp,            ///< timestamp is not all digits
  unknown_auth_type,        ///< authType is not register, regnwl or connwl
};

/// A short English explanation for logs and reason strings (never contains
/// the client id itself).
[[nodiscard]] const char* to_string(sign_error e) noexcept;

/// `authType` of dynamic registration (SPEC §2.2).
enum class auth_type : std::uint8_t {
  none,       ///< a signed device CONNECT
  register_,  ///< pre-registered: answer the DeviceSecret
  regnwl,     ///< registration-free: answer clientId + deviceToken
  connwl,     ///< connect with a registration-free device token
};

/// A parsed client id. Owns its strings (copies out of the raw client id).
struct client_id_ext {
  std::string client_id;          ///< the part before the first `|`: what is signed
  bool has_extension = false;     ///< a `|...|` part was present
  std::optional<int> securemode;  ///< 2 (TLS), 3 (TCP), -2 (registration-free), ...
  tls::sign_method method = tls::sign_method::hmacmd5;  ///< default per SPEC
  std::optional<std::string> timestamp;                 ///< ms since the epoch, all digits
  auth_type type = auth_type::none;                     ///< `authType`
  std::string random;       ///< `random`: signed by registration (§2.2)
  bool ss = false;          ///< `_ss=1`: the server subscribes the device
  int ext = 0;              ///< `ext=3`: extended RRPC (0 when absent or not a number)
  bool gw = false;          ///< `gw=1`: the SDK runs as a gateway
  std::string sdk_version;  ///< `_v`, e.g. "sdk-c-3.2.0" (informational)
  std::string lan;          ///< `lan`: SDK language, e.g. "C" (informational)
  std::string instance_id;  ///< `instanceId` (the cloud's instance; informational)
};

/// Parses `<clientId>|k=v,...|`. Keys are case-sensitive; unknown keys
/// (`_conn`, ...) are ignored; spaces around keys and values are trimmed
/// (the docs show `instanceId =x`); a repeated key takes its last value; a
/// trailing comma is tolerated; a missing securemode is allowed. The extension runs from the first
/// `|` to the final `|`, which must end the string. A client id without `|` is a plain MQTT client
/// id (`has_extension` false, no length limit here). Errors: every `sign_error` but none else; see
/// their documentation.
[[nodiscard]] expected<client_id_ext, sign_error> parse_client_id(std::string_view raw);

/// The two halves of a device username.
struct device_user {
  std::string device_name;  ///< before the first `&`
  std::string product_key;  ///< after the first `&`
};
/// Splits `deviceName&productKey` at the first `&` (a DeviceName never holds
/// one). Nothing unless both parts are non-empty. Names are not validated
/// here: an invalid one simply matches no device.
[[nodiscard]] std::optional<device_user> parse_username(std::string_view u);

/// One submitted parameter of a signature.
struct sign_param {
  std::string_view name;   ///< e.g. "clientId"
  std::string_view value;  ///< e.g. "12345"
};

/// The content a signature covers (SPEC §2.1): the parameters sorted by name
/// (byte order, as the SDKs sort ASCII names) and concatenated as
/// name+value with no separator. The general form, for new signed requests;
/// the two functions below are its fast paths.
[[nodiscard]] std::string sign_content(std::vector<sign_param> params);

/// Content of a device signature: clientId, deviceName, productKey and (if
/// present) timestamp, e.g. "clientId12345deviceNamedeviceproductKeypktimestamp789".
[[nodiscard]] std::string device_sign_content(std::string_view client_id, std::string_view dn,
                                              std::string_view pk,
                                              const std::optional<std::string>& timestamp);
/// Content of a registration signature (SPEC §2.2):
/// "deviceName"+dn+"productKey"+pk+"random"+random.
[[nodiscard]] std::string register_sign_content(std::string_view dn, std::string_view pk,
                                                std::string_view random);

/// The password a device sends: lowercase hex HMAC of `content` with
/// `secret` (DeviceSecret, or ProductSecret for registration). For the
/// `iotbroker sign` CLI, tools and tests.
[[nodiscard]] std::string device_password(tls::sign_method m, std::string_view secret,
                                          std::string_view content);

/// True when `password_hex` (upper or lower case, as SDKs differ) is the
/// signature of `content` with `secret`. Constant-time in the content of the
/// password, allocation-free (see `tls::hmac_verify`).
[[nodiscard]] bool verify_device_password(tls::sign_method m, std::string_view secret,
                                          std::string_view content,
                                          std::string_view password_hex) noexcept;

/// SPEC §1: 4-30 chars of letters, digits and `_ - @ ( )`. The cloud allows
/// CJK letters too; rather than carry Unicode tables, any well-formed-looking
/// non-ASCII UTF-8 sequence (lead byte plus continuation bytes) counts as one
/// letter. ASCII punctuation, spaces and control characters are refused.
[[nodiscard]] bool valid_product_name(std::string_view s) noexcept;
/// SPEC §1: 4-32 chars of `[A-Za-z0-9-_@.:]`.
[[nodiscard]] bool valid_device_name(std::string_view s) noexcept;
/// SPEC §1: 4-64 chars of `[A-Za-z0-9_]`.
[[nodiscard]] bool valid_alias(std::string_view s) noexcept;
/// SPEC §1: exactly 11 chars of `[A-Za-z0-9]` (what the registry generates).
[[nodiscard]] bool valid_product_key(std::string_view s) noexcept;

}  // namespace iotb::auth
