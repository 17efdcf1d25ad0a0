#pragma once
/// @file
/// FlatBuffers encoding of the registry records (schemas/registry.fbs) and
/// the verified decoding back into plain structs. Internal to broker/store.

#include <cstdint>
#include <span>
#include <vector>

#include "broker/store/registry.hpp"

namespace iotb::store::records {

[[nodiscard]] std::vector<std::uint8_t> encode(const product_record& r);
[[nodiscard]] std::vector<std::uint8_t> encode(const device_record& r);
[[nodiscard]] std::vector<std::uint8_t> encode(const app_record& r);
[[nodiscard]] std::vector<std::uint8_t> encode_log(const log_record& r);
[[nodiscard]] std::vector<std::uint8_t> encode_change(const change_record& r);
[[nodiscard]] std::vector<std::uint8_t> encode_regnwl(std::string_view client_id,
                                                      std::string_view token,
                                                      std::uint64_t created_ms);

/// Each decoder verifies the buffer first. Errors: corrupt (with `what`
/// naming the record kind).
[[nodiscard]] expected<product_record, error> decode_product(std::span<const std::uint8_t> b);
[[nodiscard]] expected<device_record, error> decode_device(std::span<const std::uint8_t> b);
[[nodiscard]] expected<app_record, error> decode_app(std::span<const std::uint8_t> b);
[[nodiscard]] expected<log_record, error> decode_log(std::span<const std::uint8_t> b);
[[nodiscard]] expected<change_record, error> decode_change(std::span<const std::uint8_t> b);
/// The token of a RegnwlClient record.
[[nodiscard]] expected<std::string, error> decode_regnwl_token(std::span<const std::uint8_t> b);

}  // namespace iotb::store::records
